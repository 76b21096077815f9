"""Inline keyboards of shared concerns, as Bot API dicts (storable in the outbox)."""

from __future__ import annotations

from typing import Any

from bot.core.callbacks import ConcernCB
from bot.core.markup import Keyboard, as_dict
from bot.core.render import Renderer
from bot.domain.text import N_
from bot.domain.workflow import Kind
from storage.models import Case

ME_TOO = N_("Me too")
SUPPORT = N_("Support")


def answer(renderer: Renderer, locale: str, case_id: int) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    kb.button(
        text=_("✅ Publish this version"), callback_data=ConcernCB(action="ok", case_id=case_id)
    )
    kb.button(text=_("Keep it private"), callback_data=ConcernCB(action="no", case_id=case_id))
    kb.adjust(1)
    return as_dict(kb)


def plus_one_label(renderer: Renderer, locale: str, case: Case, supports: int) -> str:
    _ = renderer.translator(locale)
    label = _(ME_TOO) if case.kind == Kind.GRIEVANCE else _(SUPPORT)
    return f"🙋 {label} +1 ({supports})"


def board(
    renderer: Renderer,
    locale: str,
    cases: list[Case],
    *,
    page: int,
    has_next: bool,
    order: str,
    category: str,
) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    for case in cases:
        kb.button(text=case.number, callback_data=ConcernCB(action="open", case_id=case.id or 0))
    rows = [3] * ((len(cases) + 2) // 3)
    nav = []
    if page > 0:
        nav.append(("« " + _("Previous"), page - 1))
    if has_next:
        nav.append((_("Next") + " »", page + 1))
    for label, target in nav:
        kb.button(
            text=label,
            callback_data=ConcernCB(action="page", page=target, order=order, category=category),
        )
    if nav:
        rows.append(len(nav))
    other, other_label = ("t", _("Most supported")) if order == "n" else ("n", _("Newest"))
    kb.button(
        text=other_label, callback_data=ConcernCB(action="page", order=other, category=category)
    )
    kb.button(text=_("By category"), callback_data=ConcernCB(action="cats", order=order))
    rows.append(2)
    kb.adjust(*rows)
    return as_dict(kb)


def categories(renderer: Renderer, locale: str, order: str) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    for category in renderer.org.categories:
        if not category.sensitive:  # never public (`bot.domain.publication.may_publish`)
            kb.button(
                text=renderer.name_of(category, locale),
                callback_data=ConcernCB(action="page", order=order, category=category.code),
            )
    kb.button(text=_("All categories"), callback_data=ConcernCB(action="page", order=order))
    kb.adjust(2)
    return as_dict(kb)


def detail(renderer: Renderer, locale: str, case: Case, supports: int) -> dict[str, Any]:
    kb = Keyboard()
    kb.button(
        text=plus_one_label(renderer, locale, case, supports),
        callback_data=ConcernCB(action="me", case_id=case.id or 0),
    )
    return as_dict(kb)


def channel_post(
    renderer: Renderer, locale: str, link: str, case: Case, supports: int
) -> dict[str, Any]:
    """A channel's readers cannot press the bot's callback buttons: the link opens the case in a
    private chat, where the +1 is pressed."""
    kb = Keyboard()
    kb.button(text=plus_one_label(renderer, locale, case, supports), url=link)
    return as_dict(kb)

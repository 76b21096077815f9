"""Inline keyboards of the proposal dialogues, as Bot API dicts (storable in the outbox)."""

from __future__ import annotations

from typing import Any

from bot.core.callbacks import AssignCB, CosignCB, ProposeCB, PublicCB
from bot.core.markup import Keyboard, as_dict, one_row
from bot.core.render import Renderer
from bot.domain.text import N_
from storage.models import Case

DUE_CHOICES = (5, 10, 15, 20)
WORKING_DAYS = N_("%(days)s working days")
DONE = N_("Done")
SUPPORT = N_("Support")
ON_THE_WEB = N_("View on the web")
EDITABLE = (
    ("title", N_("Title")),
    ("problem", N_("Problem")),
    ("reasons", N_("Reasons")),
    ("measures", N_("Measures")),
    ("category", N_("Category")),
    ("department", N_("Department")),
)


def categories(renderer: Renderer, locale: str) -> dict[str, Any]:
    kb = Keyboard()
    for category in renderer.org.categories:
        if not category.sensitive:  # a proposal is public; sensitive matters are not for it
            kb.button(
                text=renderer.name_of(category, locale),
                callback_data=ProposeCB(step="cat", value=category.code),
            )
    kb.adjust(2)
    return as_dict(kb)


def departments(renderer: Renderer, locale: str) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    for dept in renderer.org.departments:
        kb.button(
            text=renderer.name_of(dept, locale),
            callback_data=ProposeCB(step="dept", value=dept.code),
        )
    kb.button(text=_("Not sure"), callback_data=ProposeCB(step="dept", value="-"))
    kb.adjust(2)
    return as_dict(kb)


def files_done(renderer: Renderer, locale: str) -> dict[str, Any]:
    return one_row((renderer.gettext(locale, DONE), ProposeCB(step="files_done")))


def preview(renderer: Renderer, locale: str) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    kb.button(text="✍️ " + _("Ask for co-signatures"), callback_data=ProposeCB(step="send"))
    for field, label in EDITABLE:
        kb.button(text="✏️ " + _(label), callback_data=ProposeCB(step="edit", value=field))
    kb.button(text="💾 " + _("Save draft"), callback_data=ProposeCB(step="save"))
    kb.button(text="🗑 " + _("Withdraw"), callback_data=ProposeCB(step="withdraw"))
    kb.adjust(1, 3, 3, 2)
    return as_dict(kb)


def resume(renderer: Renderer, locale: str) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    kb.button(text=_("Continue the draft"), callback_data=ProposeCB(step="resume"))
    kb.button(text=_("Start a new one"), callback_data=ProposeCB(step="fresh"))
    kb.adjust(1)
    return as_dict(kb)


def cosign(renderer: Renderer, locale: str, case_id: int) -> dict[str, Any]:
    _ = renderer.translator(locale)
    return one_row(
        ("✍️ " + _("Co-sign"), CosignCB(action="yes", case_id=case_id)),
        (_("Decline"), CosignCB(action="no", case_id=case_id)),
    )


def assign(renderer: Renderer, locale: str, case: Case, mask: int, days: int) -> dict[str, Any]:
    """Departments to toggle (☑️ chosen), the answer deadline, then confirm or cancel."""
    _ = renderer.translator(locale)
    case_id = case.id or 0
    kb = Keyboard()
    for index, dept in enumerate(renderer.org.departments):
        mark = "☑️ " if mask >> index & 1 else ""
        kb.button(
            text=mark + renderer.name_of(dept, locale),
            callback_data=AssignCB(case_id=case_id, mask=mask, days=days, op="t", index=index),
        )
    for choice in DUE_CHOICES:
        label = renderer.gettext(locale, WORKING_DAYS, days=choice)
        kb.button(
            text=("✅ " if choice == days else "") + label,
            callback_data=AssignCB(case_id=case_id, mask=mask, days=days, op="d", index=choice),
        )
    kb.button(
        text=_("Confirm"), callback_data=AssignCB(case_id=case_id, mask=mask, days=days, op="ok")
    )
    kb.button(
        text=_("Cancel"), callback_data=AssignCB(case_id=case_id, mask=mask, days=days, op="x")
    )
    count = len(renderer.org.departments)
    kb.adjust(*([2] * (count // 2)), *([1] * (count % 2)), len(DUE_CHOICES), 2)
    return as_dict(kb)


def public_list(
    renderer: Renderer,
    locale: str,
    cases: list[Case],
    page: int,
    has_next: bool,
    web_link: str | None = None,
) -> dict[str, Any] | None:
    _ = renderer.translator(locale)
    kb = Keyboard()
    for case in cases:
        kb.button(text=case.number, callback_data=PublicCB(action="open", case_id=case.id or 0))
    nav = []
    if page > 0:
        nav.append(("« " + _("Previous"), page - 1))
    if has_next:
        nav.append((_("Next") + " »", page + 1))
    for label, target in nav:
        kb.button(text=label, callback_data=PublicCB(action="page", page=target))
    if web_link:
        kb.button(text="🌐 " + _(ON_THE_WEB), url=web_link)
    if not list(kb.buttons):
        return None
    kb.adjust(*([3] * ((len(cases) + 2) // 3)), *([len(nav)] if nav else []), 1)
    return as_dict(kb)


def public_detail(
    renderer: Renderer,
    locale: str,
    case: Case,
    *,
    following: bool | None,
    supports: int,
    web_link: str | None = None,
) -> dict[str, Any]:
    """`following` None: the reader is the proposer, who follows it anyway."""
    _ = renderer.translator(locale)
    case_id = case.id or 0
    kb = Keyboard()
    if following is not None:
        action, label = ("unfollow", _("Unfollow")) if following else ("follow", _("Follow"))
        kb.button(text=label, callback_data=PublicCB(action=action, case_id=case_id))
    kb.button(
        text=f"👍 {_(SUPPORT)} ({supports})",
        callback_data=PublicCB(action="support", case_id=case_id),
    )
    if web_link:
        kb.button(text="🌐 " + _(ON_THE_WEB), url=web_link)
    kb.adjust(2, 1)
    return as_dict(kb)


def channel_post(
    renderer: Renderer, locale: str, link: str, web_link: str | None = None
) -> dict[str, Any]:
    """Under a channel post: a channel's readers cannot press callback buttons of the bot's, so
    the link opens the proposal in a private chat, where they support and follow it; and, with
    a public board, its page there."""
    _ = renderer.translator(locale)
    kb = Keyboard()
    label = _("Support or follow in the bot")
    kb.button(text=f"👍 {label}", url=link)
    if web_link:
        kb.button(text="🌐 " + _(ON_THE_WEB), url=web_link)
    kb.adjust(1)
    return as_dict(kb)

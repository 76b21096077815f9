"""Inline keyboards as Bot API dicts, so they can be stored in the outbox or sent at once."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton

from bot.casework.facts import facts
from bot.core.callbacks import CardCB, DeptCB, LevelCB, MyCaseCB, RecatCB
from bot.core.markup import Keyboard, as_dict, one_row
from bot.core.render import Renderer
from bot.domain import labels, levels
from bot.domain.text import N_
from bot.domain.workflow import OPEN_STATES, Action, Kind, Role, State, available_actions
from storage.models import Case

RECATEGORISE = "recat"
ESCALATE, DELEGATE = "escalate", "delegate"
LEVEL_BUTTON = {ESCALATE: N_("Escalate to university"), DELEGATE: N_("Delegate to college")}
OWNERLESS = [("claim", N_("Claim")), ("pick", N_("Assign to…"))]
RATE_ACTIONS = (Action.RATE_SATISFIED, Action.RATE_PARTLY, Action.RATE_UNSATISFIED)


def case_actions_for_student(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    kb.button(text=_("View progress"), callback_data=MyCaseCB(action="open", case_id=case.id or 0))
    if case.state not in (State.CLOSED, State.REJECTED, State.MERGED):
        kb.button(
            text=_("Add information"), callback_data=MyCaseCB(action="info", case_id=case.id or 0)
        )
    return as_dict(kb)


def provide_info(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    _ = renderer.translator(locale)
    return one_row((_("Add information"), MyCaseCB(action="info", case_id=case.id or 0)))


def rating(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    _ = renderer.translator(locale)
    kb = Keyboard()
    for value in (3, 2, 1):
        kb.button(
            text=_(labels.RATING[value]),
            callback_data=MyCaseCB(action="rate", case_id=case.id or 0, value=value),
        )
    kb.adjust(3)
    return as_dict(kb)


def card(
    renderer: Renderer, locale: str, case: Case, unions: bool = False
) -> dict[str, Any] | None:
    """`unions`: some college union has a chat bound (else there is nobody to 下派 to)."""
    _ = renderer.translator(locale)
    kb = Keyboard()
    names = labels.PROPOSAL_CARD_BUTTON if case.kind == Kind.PROPOSAL else labels.CARD_BUTTON
    for action in available_actions(facts(case), Role.OFFICER):
        if action in names:
            kb.button(
                text=_(names[action]),
                callback_data=CardCB(action=action, case_id=case.id or 0),
            )
    if case.kind != Kind.PROPOSAL and case.state in OPEN_STATES:
        kb.button(
            text=_(labels.RECATEGORISE_BUTTON),
            callback_data=CardCB(action=RECATEGORISE, case_id=case.id or 0),
        )
    level_move = _level_move(renderer, case, unions)
    if level_move is not None:
        kb.button(
            text=_(LEVEL_BUTTON[level_move]),
            callback_data=CardCB(action=level_move, case_id=case.id or 0),
        )
    kb.adjust(3)
    if case.state in OPEN_STATES:
        # Who answers for the case is not a state: these buttons stand beside the table's.
        held = case.assignee_id is not None
        owner = [("pick", N_("Reassign")), ("unclaim", N_("Release"))] if held else OWNERLESS
        kb.row(
            *(
                InlineKeyboardButton(
                    text=_(label),
                    callback_data=CardCB(action=action, case_id=case.id or 0).pack(),
                )
                for action, label in owner
            )
        )
    if not list(kb.buttons):
        return None
    return as_dict(kb)


def _level_move(renderer: Renderer, case: Case, unions: bool) -> str | None:
    """上报 on a college union's card, 下派 on the university's (when the case may go)."""
    if case.state not in OPEN_STATES or not levels.routable(case.kind):
        return None
    if case.level == levels.COLLEGE:
        return ESCALATE
    category = renderer.org.category(case.category_code)
    if category is not None and category.sensitive:
        return None
    # Whether the chosen college has a chat is for the press to find out.
    return DELEGATE if unions else None


def colleges(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    """下派: the case's own college (whose union it may go to); 取消 brings the card's
    buttons back."""
    kb = Keyboard()
    for college in renderer.org.colleges:
        if college.code != case.college_code:
            continue
        kb.button(
            text=renderer.name_of(college, locale),
            callback_data=LevelCB(case_id=case.id or 0, college=college.code),
        )
    kb.button(
        text=renderer.gettext(locale, "Cancel"),
        callback_data=CardCB(action="cancel", case_id=case.id or 0),
    )
    kb.adjust(2)
    return as_dict(kb)


def departments(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    kb = Keyboard()
    for dept in renderer.org.departments:
        kb.button(
            text=renderer.name_of(dept, locale),
            callback_data=DeptCB(case_id=case.id or 0, dept=dept.code),
        )
    kb.button(
        text=renderer.gettext(locale, "Cancel"),
        callback_data=CardCB(action="cancel", case_id=case.id or 0),
    )
    kb.adjust(2)
    return as_dict(kb)


def categories(renderer: Renderer, locale: str, case: Case) -> dict[str, Any]:
    """重新分类: every category but the case's own; 取消 brings the card's buttons back."""
    kb = Keyboard()
    for category in renderer.org.categories:
        if category.code != case.category_code:
            kb.button(
                text=renderer.name_of(category, locale),
                callback_data=RecatCB(case_id=case.id or 0, category=category.code),
            )
    kb.button(
        text=renderer.gettext(locale, "Cancel"),
        callback_data=CardCB(action="cancel", case_id=case.id or 0),
    )
    kb.adjust(2)
    return as_dict(kb)

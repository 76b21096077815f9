"""`/case G2026-0042` in an officers' chat: the case's card, its whole timeline (internal notes
marked), who holds it and a link to its card — only in the chat the case belongs to."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import cards
from bot.cases.assignment import officer_name
from bot.cases.recorded import RECORDED
from bot.casework import guard
from bot.core.context import Services
from bot.core.render import MESSAGE_LIMIT
from bot.domain import labels, levels
from bot.domain.text import N_
from bot.domain.workflow import OPEN_STATES, UNSUBMITTED, Action, Role, State
from storage.crud import cases as cases_crud
from storage.crud import users as users_crud
from storage.crud.cases import ASSIGNED, OWNER_EVENTS, UNASSIGNED
from storage.models import Case, CaseEvent

# The students' labels speak to the student ("You rated"); officers read them about the student.
OFFICER_EVENT: dict[str, str] = {
    Action.PROVIDE_INFO: N_("The student added information"),
    "student_message": N_("The student added information"),
    Action.RATE_SATISFIED: N_("The student rated: satisfied"),
    Action.RATE_PARTLY: N_("The student rated: partly satisfied"),
    Action.RATE_UNSATISFIED: N_("The student rated: unsatisfied"),
    "rating_comment": N_("The student's comment"),
    "note": N_("Internal note"),
    "merged_in": N_("Another case was merged into this one"),
    ASSIGNED: N_("Assigned to"),
    UNASSIGNED: N_("No longer assigned to"),
    RECORDED: N_("The department's answer, recorded on its behalf by a rights officer"),
    levels.ESCALATE: N_("Escalated to the university's rights department"),
    levels.DELEGATE: N_("Delegated to a college union"),
}
# Who acted, for everyone but officers (named to each other, as on the card): a role only,
# so that no student, anonymous or not, is named in the chat.
STATES: frozenset[str] = frozenset(State)
ROLE: dict[str, str] = {
    Role.STUDENT: N_("Student"),
    Role.REPRESENTATIVE: N_("Representative"),
    Role.LIAISON: N_("Department liaison"),
    Role.SYSTEM: N_("System"),
}


class NotHere(Exception):
    """The case cannot be shown in this chat: `reason` is "not_found" or "elsewhere"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def visible_case(
    *, session: AsyncSession, services: Services, chat_id: int, number: str
) -> Case:
    """The case numbered `number`, if it belongs to this chat; raises `NotHere` otherwise,
    saying nothing more about it. A proposal still being written is not the officers' yet."""
    case = await cases_crud.get_case_by_number(session=session, number=number)
    if case is None or case.state in UNSUBMITTED:
        raise NotHere("not_found")
    home = await guard.home_chat(session=session, services=services, case=case)
    # The chat that held it before (校院两级) still follows it.
    if chat_id not in (home, case.watch_chat_id):
        raise NotHere("elsewhere")
    return case


async def case_view(*, session: AsyncSession, services: Services, chat_id: int, number: str) -> str:
    """The case's card, timeline, holder and link, for the officers' chat `chat_id`."""
    case = await visible_case(session=session, services=services, chat_id=chat_id, number=number)
    assert case.id is not None
    officer = await cards.last_officer(session=session, case=case)
    card = await cards.card_text(session=session, services=services, case=case, actor=officer)
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=False)
    items = [await _item(session, services, event) for event in events]
    department = services.org.department(case.department_code)
    held_by_department = department is not None and case.state in OPEN_STATES

    def render(shown: list[dict[str, Any]]) -> str:
        return services.renderer.render(
            services.group_locale,
            "group/case_view.html",
            card=Markup(card),
            events=shown,
            omitted=len(items) - len(shown),
            department=department if held_by_department else None,
            officer=officer,
            link=card_link(case) if case.chat_id == chat_id else None,
        )

    # The card comes whole; a long history loses its oldest steps first.
    shown = items
    text = render(shown)
    while len(text) > MESSAGE_LIMIT and shown:
        shown = shown[1:]
        text = render(shown)
    return text


async def _item(session: AsyncSession, services: Services, event: CaseEvent) -> dict[str, Any]:
    who = ""
    if event.actor_role in (Role.OFFICER, Role.ADMIN) and event.actor_id is not None:
        user = await users_crud.get_user(session=session, user_id=event.actor_id)
        if user is not None:
            who = " ".join(p for p in (user.first_name, user.last_name) if p) or f"#{user.id}"
    role = ROLE.get(event.actor_role)
    forwarded = event.action in (Action.FORWARD, RECORDED)  # their text is a department's code
    text = None if forwarded or event.action == "submit" else event.text
    if event.action in OWNER_EVENTS:
        text = await _officer_named(session, event.text)
    return {
        "created_at": event.created_at,
        "label": OFFICER_EVENT.get(event.action) or labels.EVENT.get(event.action, event.action),
        "state": event.to_state if event.to_state in STATES else None,
        "who": who,
        "role": role,
        "internal": not event.public,
        "department": services.org.department(event.text) if forwarded else None,
        "text": text,
    }


async def _officer_named(session: AsyncSession, text: str | None) -> str | None:
    """The officer an assignment event names by id (nobody, once they were erased)."""
    if not (text or "").isdigit():
        return None
    user = await users_crud.get_user(session=session, user_id=int(text or 0))
    return officer_name(user) if user is not None else None


def card_link(case: Case) -> str | None:
    """A t.me link to the case's card (in its forum topic, when it has one); only a supergroup's
    messages have one."""
    chat = str(case.chat_id or "")
    if case.card_message_id is None or not chat.startswith("-100"):
        return None
    topic = f"{case.topic_id}/" if case.topic_id is not None else ""
    return f"https://t.me/c/{chat[4:]}/{topic}{case.card_message_id}"

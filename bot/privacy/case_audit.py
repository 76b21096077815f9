"""`/audit G2026-0042`: a case's log — every action on it (case events) merged with the audit
entries about it (reveal requests and their outcome) — for the officers of the chat it belongs
to, or an admin in private. People are named only when they are officers or admins; a student
is shown by role alone (an anonymous author's events carry no id at all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.case_view import OFFICER_EVENT, ROLE, NotHere, visible_case
from bot.casework import guard
from bot.core.context import Services
from bot.core.render import MESSAGE_LIMIT
from bot.delivery import notify
from bot.domain import labels
from bot.domain.origin import OFFICER_ROLES
from bot.domain.text import N_
from bot.domain.workflow import Role, TransitionError
from bot.privacy.reveal import admin_ids
from bot.privacy.roles import person_name
from storage.crud import cases as cases_crud
from storage.crud import roles as roles_crud
from storage.crud import users as users_crud
from storage.models import Case

AUDIT_ACTION = {
    "reveal_requested": N_("reveal requested"),
    "reveal": N_("author revealed"),
    "reveal_refused": N_("reveal refused"),
    "reveal_expired": N_("reveal request expired"),
}


@dataclass(frozen=True)
class Line:
    at: datetime
    label: str
    # Officers and admins by name; anyone else by `role`, a label the template translates.
    name: str
    role: str | None
    internal: bool


async def case_log(
    *,
    session: AsyncSession,
    services: Services,
    user_id: int,
    chat_id: int,
    private: bool,
    number: str,
) -> str:
    """TransitionError("forbidden" | "no_such_case" | "wrong_chat") says why it is not shown."""
    case, locale = await _allowed(session, services, user_id, chat_id, private, number)
    assert case.id is not None
    lines: list[Line] = []
    names: dict[int, str] = {}
    for event in await cases_crud.events_of(session=session, case_id=case.id, public_only=False):
        label = OFFICER_EVENT.get(event.action) or labels.EVENT.get(event.action, event.action)
        name = await _name(session, names, event.actor_role, event.actor_id)
        role = None if name else ROLE.get(event.actor_role)
        lines.append(Line(event.created_at, label, name, role, not event.public))
    for entry in await roles_crud.audit_of_case(session=session, case_id=case.id):
        actors = [await _name(session, names, Role.ADMIN, actor) for actor in entry.actor_ids]
        label = AUDIT_ACTION.get(entry.action, entry.action)
        lines.append(Line(entry.at, label, ", ".join(actors), None, True))
    lines.sort(key=lambda line: line.at)

    def render(shown: list[Line]) -> str:
        return services.renderer.render(
            locale, "admin/case_audit.html", case=case, lines=shown, omitted=len(lines) - len(shown)
        )

    # A long log loses its oldest lines first.
    shown = lines
    text = render(shown)
    while len(text) > MESSAGE_LIMIT and shown:
        shown = shown[1:]
        text = render(shown)
    return text


async def _allowed(
    session: AsyncSession,
    services: Services,
    user_id: int,
    chat_id: int,
    private: bool,
    number: str,
) -> tuple[Case, str]:
    """The case and the language to show its log in, if the person may see it here."""
    if private:
        if user_id not in await admin_ids(session=session, services=services):
            raise TransitionError("forbidden")
        case = await cases_crud.get_case_by_number(session=session, number=number)
        if case is None:
            raise TransitionError("no_such_case")
        user = await users_crud.get_user(session=session, user_id=user_id)
        return case, notify.user_locale(user) if user is not None else services.group_locale
    held = await guard.held_roles(session=session, services=services, user_id=user_id)
    if not held & OFFICER_ROLES:
        raise TransitionError("forbidden")
    try:
        case = await visible_case(
            session=session, services=services, chat_id=chat_id, number=number
        )
    except NotHere as refused:
        raise TransitionError(
            "no_such_case" if refused.reason == "not_found" else "wrong_chat"
        ) from refused
    return case, services.group_locale


async def _name(session: AsyncSession, names: dict[int, str], role: str, actor: int | None) -> str:
    """An officer's or admin's name; "" for anyone else."""
    if role not in (Role.OFFICER, Role.ADMIN) or actor is None:
        return ""
    if actor not in names:
        user = await users_crud.get_user(session=session, user_id=actor)
        names[actor] = person_name(user, actor)
    return names[actor]

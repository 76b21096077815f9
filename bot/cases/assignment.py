"""Who answers for a case (负责人): an officer takes it (认领) or is given it (指派, 改派), or
gives it up (取消认领). Not a change of state: the case keeps its place in the transition
table, and each change is an internal event of its timeline, naming the officer given it
(by id: `storage.crud.cases.OWNER_EVENTS`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import guard
from bot.casework.transitions import log
from bot.core.callbacks import CardCB, OwnerCB
from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.delivery import notify
from bot.domain.origin import OFFICER_ROLES
from bot.domain.workflow import OPEN_STATES, Actor, TransitionError
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.crud.cases import ASSIGNED, UNASSIGNED
from storage.models import Case, User

CHOICES_LIMIT = 30


def officer_name(user: User) -> str:
    """How officers are named to each other (a student never is)."""
    return " ".join(p for p in (user.first_name, user.last_name) if p) or f"#{user.id}"


async def chat_officers(*, session: AsyncSession, services: Services) -> list[User]:
    """The officers a case of the chat may be given to: whoever holds an officer's (or an
    admin's) role. Roles are not per chat (yet): the case's chat is checked on every press."""
    found: dict[int, User] = {}
    for role in sorted(OFFICER_ROLES):
        for user in await users_crud.users_with_role(session=session, role=role):
            found[user.id] = user
    for admin_id in services.settings.admin_ids:
        admin = await users_crud.get_user(session=session, user_id=admin_id)
        if admin is not None:
            found[admin.id] = admin
    return sorted(found.values(), key=lambda user: user.id)


async def _open_case(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> Case:
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    if case.state not in OPEN_STATES:
        raise TransitionError("invalid")
    return case


async def choices(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> dict[str, Any]:
    """The card's buttons for 指派: the chat's officers by name (the one holding it marked),
    取消认领 when someone holds it, and 取消 back to the card's own buttons."""
    case = await _open_case(session=session, services=services, actor=actor, case_id=case_id)
    assert case.id is not None
    _ = services.renderer.translator(services.group_locale)
    kb = Keyboard()
    officers = [
        user
        for user in await chat_officers(session=session, services=services)
        if await guard.may_hold(session=session, services=services, user_id=user.id, case=case)
    ]
    for user in officers[:CHOICES_LIMIT]:
        mark = "✅ " if user.id == case.assignee_id else ""
        kb.button(
            text=mark + officer_name(user), callback_data=OwnerCB(case_id=case.id, user_id=user.id)
        )
    if case.assignee_id is not None:
        kb.button(text=_("Release"), callback_data=OwnerCB(case_id=case.id, user_id=0))
    kb.button(text=_("Cancel"), callback_data=CardCB(action="cancel", case_id=case.id))
    kb.adjust(2)
    return as_dict(kb)


async def assign(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    case_id: int,
    assignee_id: int | None,
) -> Case:
    """Give the case to `assignee_id` (None: to nobody). Raises `TransitionError` when the
    actor may not act on the case from where they are, the case is finished, or the assignee
    holds no officer's role. The card is redrawn and the assignee told in private, after the
    commit (outbox)."""
    case = await _open_case(session=session, services=services, actor=actor, case_id=case_id)
    if case.assignee_id == assignee_id:
        return case
    assignee = None
    if assignee_id is not None:
        assignee = await users_crud.get_user(session=session, user_id=assignee_id)
        if assignee is None or not await guard.may_hold(
            session=session, services=services, user_id=assignee_id, case=case
        ):
            raise TransitionError("not_officer")
    previous = case.assignee_id
    case.assignee_id = assignee_id
    case.updated_at = services.now()
    session.add(case)
    changed = assignee_id if assignee_id is not None else previous
    await log(
        session=session,
        services=services,
        case=case,
        action=ASSIGNED if assignee_id is not None else UNASSIGNED,
        actor=actor,
        text=str(changed),
    )
    rows = [notify.card_refresh(case)]
    if assignee is not None and assignee.id != actor.user_id and assignee.unreachable_at is None:
        giver = await users_crud.get_user(session=session, user_id=actor.user_id or 0)
        rows += notify.to_user(
            services=services,
            user=assignee,
            template="group/assigned_to_you.html",
            case=case,
            category=services.org.category(case.category_code),
            giver=officer_name(giver) if giver is not None else "",
            link=False,
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case

"""Checking where an officer's or a liaison's action comes from, against the database.

Every service that acts for an officer calls `officer` before it changes or sends anything;
the rule itself is `bot.domain.origin`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.chats import binding_for
from bot.core.context import Services
from bot.domain import levels, origin
from bot.domain.workflow import TransitionError
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.crud import roles as roles_crud
from storage.crud import users as users_crud
from storage.models import Case

if TYPE_CHECKING:
    from bot.domain.workflow import Actor


async def held_roles(*, session: AsyncSession, services: Services, user_id: int) -> set[str]:
    roles = await users_crud.roles_of(session=session, user_id=user_id)
    if user_id in services.settings.admin_ids:
        roles |= {"admin", "officer"}
    return roles


async def home_chat(*, session: AsyncSession, services: Services, case: Case) -> int | None:
    """The chat the case belongs to: the one its card goes to."""
    binding = await binding_for(session=session, services=services, case=case)
    return binding.chat_id if binding is not None else None


async def officer(*, session: AsyncSession, services: Services, actor: Actor, case: Case) -> None:
    """TransitionError("forbidden" | "wrong_chat") unless the actor may act on the case there."""
    held = (
        await held_roles(session=session, services=services, user_id=actor.user_id)
        if actor.user_id is not None
        else set()
    )
    reason = origin.officer_refusal(
        role=actor.role,
        held=held,
        chat_id=actor.chat_id,
        home_chat=await home_chat(session=session, services=services, case=case),
    )
    if reason is None and actor.user_id is not None:
        reason = levels.officer_scope_refusal(
            scopes=await officer_scopes(session=session, user_id=actor.user_id),
            level=case.level,
            college=case.college_code,
            is_admin="admin" in held,
        )
    if reason is not None:
        raise TransitionError(reason)


async def may_hold(*, session: AsyncSession, services: Services, user_id: int, case: Case) -> bool:
    """Whether the user could act on the case as an officer at its level (认领 / 指派): a
    college officer only on their college's cases that its union holds."""
    held = await held_roles(session=session, services=services, user_id=user_id)
    if not held & origin.OFFICER_ROLES:
        return False
    return (
        levels.officer_scope_refusal(
            scopes=await officer_scopes(session=session, user_id=user_id),
            level=case.level,
            college=case.college_code,
            is_admin="admin" in held,
        )
        is None
    )


async def officer_scopes(*, session: AsyncSession, user_id: int) -> set[str]:
    """Where the user's officer grants hold: "" the university, else a college's code."""
    grants = await roles_crud.grants_of(session=session, user_id=user_id, role="officer")
    return {grant.department_code for grant in grants}


async def officer_case(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> Case:
    """The case, if the actor may act on it from where they are."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None:
        raise TransitionError("not_found")
    await officer(session=session, services=services, actor=actor, case=case)
    return case


async def liaison(
    *, session: AsyncSession, user_id: int, chat_id: int | None, department: str
) -> None:
    """TransitionError unless the user is a liaison of the department, acting in private."""
    departments = await departments_crud.liaison_departments(session=session, user_id=user_id)
    reason = origin.liaison_refusal(
        user_id=user_id, chat_id=chat_id, department=department, departments=set(departments)
    )
    if reason is not None:
        raise TransitionError(reason)

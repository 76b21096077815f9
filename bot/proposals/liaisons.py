"""Who answers for a department: admins name its liaisons, and take the role back; each change
an audit entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crud import roles as roles_crud
from storage.crud import users as users_crud

LIAISON = "liaison"


async def _name(session: AsyncSession, user_id: int, name: str, by_reply: bool) -> str:
    """What to call the user: a replied-to message carries the person's current name; an id
    alone says nothing better than the name the bot has."""
    known = await users_crud.get_user(session=session, user_id=user_id)
    if known is not None and known.first_name and not by_reply:
        return known.first_name
    return name


async def appoint(
    *,
    session: AsyncSession,
    user_id: int,
    name: str,
    by_reply: bool,
    department: str,
    granted_by: int,
) -> str:
    """Makes the user a liaison of the department (someone the bot has not met yet, too);
    what to call them."""
    name = await _name(session, user_id, name, by_reply)
    await users_crud.meet(session=session, user_id=user_id, name=name)
    if await users_crud.grant_role(
        session=session, user_id=user_id, role=LIAISON, granted_by=granted_by, department=department
    ):
        await roles_crud.record_change(
            session=session,
            action="grant",
            actor_id=granted_by,
            target_id=user_id,
            role=LIAISON,
            scope=department,
        )
    return name


async def dismiss(
    *, session: AsyncSession, user_id: int, name: str, by_reply: bool, revoked_by: int
) -> str:
    """The user is no longer a liaison of any department; what to call them."""
    name = await _name(session, user_id, name, by_reply)
    if await users_crud.revoke_role(session=session, user_id=user_id, role=LIAISON):
        await roles_crud.record_change(
            session=session,
            action="revoke",
            actor_id=revoked_by,
            target_id=user_id,
            role=LIAISON,
            scope="",
        )
    return name

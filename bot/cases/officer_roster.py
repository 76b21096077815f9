"""Who holds the rights officer's role: admins give and take it (/officer, /unofficer), each
change an audit entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crud import roles as roles_crud
from storage.crud import users as users_crud

OFFICER = "officer"


async def appoint(*, session: AsyncSession, user_id: int, name: str, granted_by: int) -> None:
    """`name` is what the admin knows them by; it is kept only for someone the bot has not met
    yet, until they write to it."""
    await users_crud.meet(session=session, user_id=user_id, name=name)
    if await users_crud.grant_role(
        session=session, user_id=user_id, role=OFFICER, granted_by=granted_by
    ):
        await roles_crud.record_change(
            session=session,
            action="grant",
            actor_id=granted_by,
            target_id=user_id,
            role=OFFICER,
            scope="",
        )


async def dismiss(*, session: AsyncSession, user_id: int, revoked_by: int) -> None:
    if await users_crud.revoke_role(session=session, user_id=user_id, role=OFFICER):
        await roles_crud.record_change(
            session=session,
            action="revoke",
            actor_id=revoked_by,
            target_id=user_id,
            role=OFFICER,
            scope="",
        )

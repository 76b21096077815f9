"""Invite links of cases received offline (`bot.intake.invites`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._upsert import supports_skip_locked
from storage.models import IntakeInvite


async def add_invite(*, session: AsyncSession, invite: IntakeInvite) -> IntakeInvite:
    session.add(invite)
    await session.flush()
    return invite


async def invite_by_hash(*, session: AsyncSession, token_hash: str) -> IntakeInvite | None:
    """Locked where the database can: two students opening one link at once bind it once."""
    stmt = select(IntakeInvite).where(col(IntakeInvite.token_hash) == token_hash)
    if supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()

"""The privacy notice's answers: one row per answer, never changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import ConsentRecord

ACCEPTED = "accepted"
DECLINED = "declined"


async def record(
    *, session: AsyncSession, user_id: int, version: str, decision: str, at: datetime
) -> ConsentRecord:
    row = ConsentRecord(user_id=user_id, version=version, decision=decision, at=at)
    session.add(row)
    await session.flush()
    return row


async def history(*, session: AsyncSession, user_id: int) -> list[ConsentRecord]:
    stmt = select(ConsentRecord).where(col(ConsentRecord.user_id) == user_id)
    return list(await session.scalars(stmt.order_by(col(ConsentRecord.at), col(ConsentRecord.id))))


async def latest_decision(*, session: AsyncSession, user_id: int, version: str) -> str | None:
    """The person's last answer to this version of the notice, if any."""
    stmt = (
        select(col(ConsentRecord.decision))
        .where(col(ConsentRecord.user_id) == user_id, col(ConsentRecord.version) == version)
        .order_by(col(ConsentRecord.at).desc(), col(ConsentRecord.id).desc())
        .limit(1)
    )
    return await session.scalar(stmt)

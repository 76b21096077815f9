"""Claims of scheduled periods (see ScheduledRun): the unique (job, period) is the lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import ScheduledRun


async def is_claimed(*, session: AsyncSession, job: str, period: str) -> bool:
    stmt = select(col(ScheduledRun.id)).where(
        col(ScheduledRun.job) == job, col(ScheduledRun.period) == period
    )
    return (await session.scalar(stmt)) is not None


async def claim(
    *,
    session: AsyncSession,
    job: str,
    period: str,
    scheduled_for: datetime,
    claimed_at: datetime,
    late: bool,
    sent: int = 0,
) -> ScheduledRun:
    """Insert the claim now, so a second claimant blocks or fails here, before doing its work.

    Raises sqlalchemy.exc.IntegrityError when the period is already claimed; the caller's
    transaction is then to be rolled back with everything it enqueued.
    """
    run = ScheduledRun(
        job=job,
        period=period,
        scheduled_for=scheduled_for,
        claimed_at=claimed_at,
        late=late,
        sent=sent,
    )
    session.add(run)
    await session.flush()
    return run


async def runs_of(*, session: AsyncSession, job: str) -> list[ScheduledRun]:
    stmt = select(ScheduledRun).where(col(ScheduledRun.job) == job)
    return list(await session.scalars(stmt.order_by(col(ScheduledRun.id))))

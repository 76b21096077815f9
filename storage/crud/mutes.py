"""Mutes and held messages (see `storage.models_abuse`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Case, CaseEvent, HeldMessage, Mute

MUTE_ACTIONS = ("mute", "unmute")


async def active(*, session: AsyncSession, user_id: int, now: datetime) -> Mute | None:
    """The student's mute in force at `now` (the latest, should two overlap)."""
    stmt = select(Mute).where(
        col(Mute.user_id) == user_id, col(Mute.ended_at).is_(None), col(Mute.until) > now
    )
    return (await session.scalars(stmt.order_by(col(Mute.until).desc()))).first()


async def add(*, session: AsyncSession, mute: Mute) -> Mute:
    session.add(mute)
    await session.flush()
    return mute


async def due(*, session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    """Mutes whose time ran out and that nobody ended yet."""
    stmt = select(col(Mute.id)).where(col(Mute.ended_at).is_(None), col(Mute.until) <= now)
    return [i for i in await session.scalars(stmt.order_by(col(Mute.until)).limit(limit)) if i]


async def claim_end(*, session: AsyncSession, mute_id: int, now: datetime) -> Mute | None:
    """End the mute, if nobody else has: the conditional update is the claim (a second
    instance's waits for this transaction, then finds it ended and changes nothing)."""
    ended = await session.execute(
        update(Mute)
        .where(col(Mute.id) == mute_id, col(Mute.ended_at).is_(None))
        .values(ended_at=now)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(Mute, mute_id, populate_existing=True)


async def mark_notified(*, session: AsyncSession, mute_id: int, now: datetime) -> bool:
    """True for the one caller that gets to tell the student (once per mute)."""
    told = await session.execute(
        update(Mute)
        .where(col(Mute.id) == mute_id, col(Mute.notified_at).is_(None))
        .values(notified_at=now)
    )
    return bool(told.rowcount == 1)  # type: ignore[attr-defined]


async def hold(
    *,
    session: AsyncSession,
    mute_id: int,
    payload: dict[str, Any],
    now: datetime,
) -> HeldMessage:
    held = HeldMessage(mute_id=mute_id, payload=payload, created_at=now)
    session.add(held)
    await session.flush()
    return held


async def held_of(*, session: AsyncSession, mute_id: int) -> list[HeldMessage]:
    stmt = select(HeldMessage).where(col(HeldMessage.mute_id) == mute_id)
    return list(await session.scalars(stmt.order_by(col(HeldMessage.id))))


async def drop_held(*, session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(delete(HeldMessage).where(col(HeldMessage.id).in_(ids)))


async def shown_on(*, session: AsyncSession, case_id: int) -> CaseEvent | None:
    """The case's latest mute decision ("mute" or "unmute"), for its card."""
    stmt = select(CaseEvent).where(
        col(CaseEvent.case_id) == case_id, col(CaseEvent.action).in_(MUTE_ACTIONS)
    )
    return (await session.scalars(stmt.order_by(col(CaseEvent.id).desc()))).first()


async def decided_on(*, session: AsyncSession, case: Case, mute: Mute) -> bool:
    """Whether `mute` was decided on this case. Only that case's thread may show that its
    author is muted (a message held, released, a reply they cannot answer): in another of
    their cases' threads the line would tell the officers that both have one author, which
    an anonymous case must never tell."""
    assert case.id is not None
    event = await shown_on(session=session, case_id=case.id)
    return event is not None and event.action == "mute" and event.until == mute.until


async def forget_user(*, session: AsyncSession, user_id: int) -> None:
    """Erasure: the person's mutes and what they held go (nothing was shown to anyone yet)."""
    mine = select(col(Mute.id)).where(col(Mute.user_id) == user_id)
    await session.execute(delete(HeldMessage).where(col(HeldMessage.mute_id).in_(mine)))
    await session.execute(delete(Mute).where(col(Mute.user_id) == user_id))


async def mutes_with_held(
    *, session: AsyncSession, user_id: int
) -> list[tuple[Mute, list[HeldMessage]]]:
    """The person's mutes, oldest first, each with what is still held under it."""
    mutes = list(
        await session.scalars(
            select(Mute).where(col(Mute.user_id) == user_id).order_by(col(Mute.id))
        )
    )
    held: dict[int, list[HeldMessage]] = {}
    if mutes:
        rows = await session.scalars(
            select(HeldMessage)
            .where(col(HeldMessage.mute_id).in_([mute.id for mute in mutes]))
            .order_by(col(HeldMessage.id))
        )
        for message in rows:
            held.setdefault(message.mute_id, []).append(message)
    return [(mute, held.get(mute.id or 0, [])) for mute in mutes]

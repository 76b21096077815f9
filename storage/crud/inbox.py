"""The inbox: updates stored before they are acknowledged, deleted by the transaction that
handles them. `processed_updates` remembers which updates had their effect, so a redelivered
one is recognised whether it comes back before or after it was handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import table
from storage.crud._upsert import insert_for
from storage.models import InboxUpdate, ProcessedUpdate
from storage.types import utcnow


async def store(
    *, session: AsyncSession, updates: Sequence[tuple[int, str, dict[str, Any]]]
) -> list[int]:
    """Keep (update_id, lane, payload) rows not seen before; returns the ids that are new."""
    if not updates:
        return []
    ids = [update_id for update_id, _, _ in updates]
    processed, inbox = table(ProcessedUpdate), table(InboxUpdate)
    seen = set(
        await session.scalars(
            select(processed.c.update_id)
            .where(processed.c.update_id.in_(ids))
            .union_all(select(inbox.c.update_id).where(inbox.c.update_id.in_(ids)))
        )
    )
    fresh = [(u, lane, payload) for u, lane, payload in updates if u not in seen]
    if fresh:
        now = utcnow()
        stmt = insert_for(session, table(InboxUpdate)).values(
            [
                {"update_id": u, "lane": lane, "payload": payload, "received_at": now}
                for u, lane, payload in fresh
            ]
        )
        await session.execute(stmt.on_conflict_do_nothing())
    return [u for u, _, _ in fresh]


async def waiting(*, session: AsyncSession) -> list[InboxUpdate]:
    """Everything not yet handled, oldest first."""
    stmt = select(InboxUpdate).order_by(col(InboxUpdate.update_id))
    return list(await session.scalars(stmt))


async def finish(*, session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled in the caller's transaction; False if it already was."""
    stmt = insert_for(session, table(ProcessedUpdate)).values(
        update_id=update_id, processed_at=utcnow()
    )
    result = await session.execute(stmt.on_conflict_do_nothing())
    await discard(session=session, update_id=update_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def discard(*, session: AsyncSession, update_id: int) -> None:
    inbox = table(InboxUpdate)
    await session.execute(delete(inbox).where(inbox.c.update_id == update_id))


async def was_handled(*, session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


async def forget_processed(*, session: AsyncSession, before: datetime) -> None:
    """Telegram redelivers an update for a day at most: older records serve nothing."""
    await session.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before))


async def last_update_at(*, session: AsyncSession) -> datetime | None:
    """When the newest update arrived or was handled (housekeeping forgets after two days)."""
    stored = await session.scalar(select(func.max(col(InboxUpdate.received_at))))
    handled = await session.scalar(select(func.max(col(ProcessedUpdate.processed_at))))
    known = [when for when in (stored, handled) if when is not None]
    return max(known, default=None)

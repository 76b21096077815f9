"""Claiming outbox rows: a worker marks the rows it is about to send as its own.

Rows are claimed lane by lane (see `storage.crud.outbox`): a lane is worked by one worker at a
time, and within it a row waits for every row that sorts before it. A claim is renewed while its
worker lives; one nobody renews goes back to the queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from storage.crud._query import table
from storage.crud._upsert import supports_skip_locked
from storage.crud.outbox import PENDING, SENDING
from storage.models import OutboxMessage
from storage.types import utcnow

_NEWEST = 2**63
_TRY_LANE_LOCKS = text(
    "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_xact_lock(k)"
)


def _lane_key(lane: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(lane.encode(), digest_size=8).digest(), "big", signed=True
    )


async def claim_due(
    *,
    session: AsyncSession,
    limit: int,
    now: datetime,
    worker: str | None = None,
    heartbeat: datetime | None = None,
    max_priority: int | None = None,
) -> list[OutboxMessage]:
    """Due rows in priority order, marked as being sent by `worker`; a row whose lane another
    worker holds, or in which an earlier row still waits, is left for later."""
    due = await due_rows(
        session=session, limit=limit, now=now, worker=worker, max_priority=max_priority
    )
    return await take_rows(session=session, due=due, worker=worker, heartbeat=heartbeat)


@dataclass
class Due:
    rows: list[OutboxMessage]
    # Due, but behind an earlier row of their lane that waits (a 429, a retry): by the time
    # they wait until, so they are not taken for due again and again meanwhile.
    behind: dict[datetime, list[int]] = field(default_factory=dict)


async def due_rows(
    *,
    session: AsyncSession,
    limit: int,
    now: datetime,
    worker: str | None = None,
    max_priority: int | None = None,
) -> Due:
    """What `claim_due` would take, found without writing anything: on SQLite a claim reads
    them in a snapshot, without the write lock, and takes them in a short transaction after."""
    stmt = select(OutboxMessage).where(
        col(OutboxMessage.status) == PENDING, col(OutboxMessage.next_attempt_at) <= now
    )
    if max_priority is not None:
        stmt = stmt.where(col(OutboxMessage.priority) <= max_priority)
    stmt = stmt.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(limit)
    if supports_skip_locked(session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows, behind = await _in_lane_order(session, list(await session.scalars(stmt)), worker, now)
    return Due(rows, behind)


async def take_rows(
    *,
    session: AsyncSession,
    due: Due,
    worker: str | None,
    heartbeat: datetime | None = None,
) -> list[OutboxMessage]:
    """Marks the due rows as being sent by `worker`: those still pending (read in an earlier
    snapshot, some may have been taken since)."""
    for when, ids in due.behind.items():
        await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == PENDING)
            .values(next_attempt_at=when)
            .execution_options(synchronize_session=False)
        )
    if not due.rows:
        return []
    stamp = heartbeat or utcnow()
    outbox = table(OutboxMessage)
    result = await session.execute(
        update(outbox)
        .where(outbox.c.id.in_([r.id for r in due.rows]), outbox.c.status == PENDING)
        .values(status=SENDING, claimed_at=stamp, claimed_by=worker)
        .returning(outbox.c.id)
    )
    taken = set(result.scalars())
    rows = [row for row in due.rows if row.id in taken]
    for row in rows:
        # What the UPDATE just wrote, not a change: a row of the session (one queued in this
        # transaction) would otherwise be written again, row by row, at the next flush.
        set_committed_value(row, "status", SENDING)
        set_committed_value(row, "claimed_at", stamp)
        set_committed_value(row, "claimed_by", worker)
    return rows


async def claim_queued(
    *,
    session: AsyncSession,
    rows: Sequence[OutboxMessage],
    worker: str,
    now: datetime,
    heartbeat: datetime,
) -> list[OutboxMessage]:
    """Rows queued in this very transaction and not yet written, claimed for `worker` at once:
    those due now whose lane no other worker holds and has no earlier row still to go. They
    are written claimed (no UPDATE after the INSERT: nobody else sees them before the commit);
    the others are written pending."""
    due = [r for r in rows if r.next_attempt_at is not None and r.next_attempt_at <= now]
    with session.no_autoflush:
        # The rows themselves are not written yet: they are the newest of their lanes.
        kept, _ = await _in_lane_order(session, due, worker, now)
    for row in kept:
        row.status, row.claimed_at, row.claimed_by = SENDING, heartbeat, worker
    return kept


async def _in_lane_order(
    session: AsyncSession, rows: list[OutboxMessage], worker: str | None, now: datetime
) -> tuple[list[OutboxMessage], dict[datetime, list[int]]]:
    """The rows that may go now; and, by the time they wait until, those that must wait for
    an earlier row of their lane which is not due yet."""
    lanes = {r.lane for r in rows if r.lane is not None}
    if not lanes:
        return rows, {}
    if supports_skip_locked(session):
        # Two workers claiming at once must not split a lane: the lane's lock is held until
        # this claim commits, and the other worker leaves the lane alone meanwhile.
        keys = {_lane_key(lane): lane for lane in lanes}
        locked = await session.scalars(_TRY_LANE_LOCKS, {"keys": list(keys)})
        lanes = {keys[k] for k in locked}
    outbox = table(OutboxMessage)
    unsent = await session.execute(
        select(
            outbox.c.lane,
            outbox.c.priority,
            outbox.c.id,
            outbox.c.status,
            outbox.c.claimed_by,
            outbox.c.next_attempt_at,
        ).where(outbox.c.lane.in_(lanes), outbox.c.status.in_((PENDING, SENDING)))
    )
    chosen = {r.id for r in rows}
    taken_elsewhere: set[str | None] = set()
    waiting: dict[str | None, list[tuple[tuple[int, int], datetime]]] = {}
    for lane, priority, row_id, status, claimed_by, due in unsent:
        if status == SENDING and (claimed_by != worker or worker is None):
            taken_elsewhere.add(lane)
        elif status == PENDING and row_id not in chosen:
            waiting.setdefault(lane, []).append(((priority, row_id or 0), due))
    kept: list[OutboxMessage] = []
    behind: dict[datetime, list[int]] = {}
    for row in rows:
        if row.lane is None:
            kept.append(row)
            continue
        if row.lane not in lanes or row.lane in taken_elsewhere:
            continue
        # A row not written yet comes after every row of its lane of the same priority.
        order = (row.priority, row.id if row.id is not None else _NEWEST)
        ahead = [due for earlier, due in waiting.get(row.lane, []) if earlier < order]
        if not ahead:
            kept.append(row)
            continue
        # Everything after a row that must wait waits as well.
        until = max(ahead)
        waiting.setdefault(row.lane, []).append((order, until))
        if until > now and row.id is not None:
            behind.setdefault(until, []).append(row.id)
    return kept, behind


async def renew(
    *, session: AsyncSession, worker: str, ids: Sequence[int], heartbeat: datetime
) -> set[int]:
    """The worker is alive and still holds these rows: they stay its own. Returns those that
    still were (the others were taken back while it stalled, and are another's to send)."""
    if not ids:
        return set()
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(list(ids)),
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.status) == SENDING,
        )
        .values(claimed_at=heartbeat)
        .returning(col(OutboxMessage.id))
    )
    return {row_id for row_id in result.scalars() if row_id is not None}


async def release_in_flight(*, session: AsyncSession, stale_before: datetime) -> int:
    """Rows whose claim nobody renewed lately (their worker died, or lost track of them): their
    send may or may not have happened, so they are sent again."""
    stmt = update(OutboxMessage).where(
        col(OutboxMessage.status) == SENDING,
        or_(col(OutboxMessage.claimed_at).is_(None), col(OutboxMessage.claimed_at) < stale_before),
    )
    result = await session.execute(stmt.values(status=PENDING, claimed_by=None))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def unclaim(*, session: AsyncSession, ids: Iterable[int]) -> None:
    """Rows claimed but never sent (a stopping worker): back to the queue, nothing is unknown."""
    await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(list(ids)), col(OutboxMessage.status) == SENDING)
        .values(status=PENDING, claimed_by=None)
    )

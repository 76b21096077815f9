"""What a transaction queues in the outbox, told to its process's delivery worker on commit.

A confirmation queued by a handler is claimed for the worker of the same process inside the
handler's own transaction and goes straight into the worker's lanes once that commits: no claim
query of its own, so a broadcast keeping the database busy does not stand between a student's
action and the answer. What is not handed over this way stays pending, and the worker is woken
for it; a transaction that queued nothing wakes nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from storage.models import OutboxMessage
from storage.session import app_session

log = logging.getLogger(__name__)

# More rows than this in one go are not a confirmation: they wait for an ordinary claim.
HANDOFF_MAX = 16


@dataclass
class Queued:
    # What the claimer took over in the transaction, in its own terms.
    handed: list[Any] = field(default_factory=list)
    # The most urgent priority among the rows left pending (None: none were).
    least: int | None = None

    def pending(self, priority: int) -> None:
        self.least = priority if self.least is None else min(self.least, priority)


class Claimer(Protocol):
    def takes(self, message: OutboxMessage) -> bool:
        """Whether it would take this row over now."""
        ...

    async def take(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> list[OutboxMessage]:
        """Claims what it can of `rows`, not all written yet, in the transaction: those taken."""
        ...

    async def record(self, session: AsyncSession, rows: Sequence[OutboxMessage]) -> Any:
        """What it needs, once the rows it took are written, to send them after the commit."""
        ...

    def committed(self, queued: Queued) -> None: ...

    def dropped(self, queued: Queued) -> None:
        """The transaction rolled back: nothing it queued exists."""
        ...


async def note_queued(session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    """Writes what the session holds, `rows` among it, with those the claimer takes already
    claimed by it."""
    state = app_session(session)
    claimer = state.claimer
    taken: list[OutboxMessage] = []
    # A savepoint could roll back rows already handed over: none are, inside one.
    if claimer is not None and len(rows) <= HANDOFF_MAX and not session.in_nested_transaction():
        mine = [row for row in rows if claimer.takes(row)]
        if mine:
            taken = await claimer.take(session, mine)
    await session.flush()
    if claimer is None:
        return
    if state.queued is None:
        state.queued = Queued()
    queued = state.queued
    if taken:
        queued.handed.append(await claimer.record(session, taken))
    for row in rows:
        if not any(row is t for t in taken):
            queued.pending(row.priority)


def after_commit(session: Session) -> None:
    state = app_session(session)
    queued, state.queued = state.queued, None
    claimer = state.claimer
    if queued is None or claimer is None:
        return
    try:
        claimer.committed(queued)
    except Exception:  # committed is committed: the worker's next look finds the rows
        log.exception("handing queued outbox rows to the worker failed")


def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    state = app_session(session)
    queued, state.queued = state.queued, None  # a commit took it already
    claimer = state.claimer
    if queued is not None and claimer is not None:
        claimer.dropped(queued)

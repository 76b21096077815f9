"""How due rows get into the worker's lanes: claimed from the outbox, or handed over by the
transaction that queued them (`storage.crud.handoff`).

Claims go one at a time, each placed in its lanes before the next: two in flight could put the
second part of a message in its lane before the first. A lane keeps its rows in order; a row
that arrives while an earlier row of its lane is on its way between the database and the lanes
(`Motion`) goes back to the queue instead, where claiming keeps the order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.delivery.documents import Documents
from bot.delivery.errors import LOST_CHAT_PAUSE, Outcome
from bot.delivery.kinds import Target
from bot.delivery.lanes import ChatLane, Job
from bot.delivery.ledger import Ledger
from bot.delivery.motion import Ticket
from bot.delivery.notify import NORMAL
from bot.delivery.sending import Sender
from bot.delivery.urgency import Urgency
from storage.crud import chat_rows
from storage.crud import claims as claims_crud
from storage.crud.handoff import Queued
from storage.db import READ_ONLY
from storage.models import OutboxMessage
from storage.session import app_session
from storage.types import utcnow

log = logging.getLogger(__name__)

# Rows claimed even when the lanes are full: anything more urgent than bulk.
URGENT_CLAIM = 16
LOST = "the bot is not in this chat: waiting until an admin binds it again"


@dataclass
class Handed:
    """Rows claimed in the transaction that queued them, with where they go."""

    rows: list[OutboxMessage]
    found: dict[int, Target | Outcome]
    ticket: Ticket


class Intake:
    """The claiming half of `DeliveryWorker`, which sets these up."""

    id: str
    session_factory: async_sessionmaker[AsyncSession]
    services: Services
    ledger: Ledger
    sender: Sender
    documents: Documents
    urgency: Urgency
    capacity: int
    batch: int
    idle_poll: float
    _lanes: dict[int, ChatLane]
    _claiming: asyncio.Lock
    _urgent: asyncio.Event
    _wake: asyncio.Event
    _chores: set[asyncio.Task[None]]
    _stopping: bool
    _taking: bool
    _backlog: bool
    _read_apart: bool

    @property
    def held(self) -> int:
        return sum(len(lane.jobs) + len(lane.current) for lane in self._lanes.values())

    def wake(self) -> None:
        """Something was queued (or freed): look now."""
        self._wake.set()
        self._urgent.set()

    async def _work(self, lane: ChatLane) -> None:
        raise NotImplementedError

    async def _claim_urgent(self) -> None:
        """What is not bulk is claimed the moment it is queued, beside the main loop: a
        confirmation need not wait while the loop takes the next batch of a broadcast."""
        while True:
            await self._urgent.wait()
            self._urgent.clear()
            try:
                await self._claim(urgent=True)
            except Exception:
                log.exception("claiming urgent outbox rows failed")
                await asyncio.sleep(min(1.0, self.idle_poll))

    async def _claim(self, *, urgent: bool = False) -> int:
        room, max_priority = self.capacity - self.held, None
        if urgent or room <= 0:
            # Only what must not wait behind a broadcast (then even if the lanes are full).
            room, max_priority = URGENT_CLAIM, NORMAL
        total, backlog = 0, False
        while room > 0 and not self._stopping:
            # One claim at a time, each in its lanes before the next: two in flight could put
            # the second part of a message in its lane before the first.
            asked = min(room, self.batch)
            if max_priority is None:
                await self.urgency.yield_to()
            async with self._claiming:
                rows, due = await self._claim_batch(asked, max_priority)
            total += len(rows)
            room -= len(rows)
            backlog = due == asked
            if not backlog:
                break
        if max_priority is None:
            self._backlog = backlog
        return total

    async def _claim_batch(
        self, limit: int, max_priority: int | None
    ) -> tuple[list[OutboxMessage], int]:
        """Claims and places up to `limit` due rows: those placed, and how many were due."""
        motion = self.ledger.motion
        mark = motion.mark()
        now, heartbeat = self.services.now(), utcnow()
        find = functools.partial(
            claims_crud.due_rows, limit=limit, now=now, worker=self.id, max_priority=max_priority
        )
        moving: frozenset[str] = frozenset()
        try:
            if self._read_apart:
                # Found in a snapshot and taken in a short transaction after: the write lock,
                # which every handler needs, is held for a moment rather than the whole claim.
                async with self.session_factory(execution_options={READ_ONLY: True}) as session:
                    due = await find(session=session)
                    found = await self._targets(session, due.rows) if due.rows else {}
                # Taking and placing a hundred rows are long steps on the event loop: not in
                # the middle of an answer (the rows taken meanwhile are skipped by the take).
                await self.urgency.yield_to()
                async with self.session_factory.begin() as session:
                    rows = await claims_crud.take_rows(
                        session=session, due=due, worker=self.id, heartbeat=heartbeat
                    )
            else:
                async with self.session_factory.begin() as session:
                    due = await find(session=session)
                    rows = await claims_crud.take_rows(
                        session=session, due=due, worker=self.id, heartbeat=heartbeat
                    )
                    found = await self._targets(session, rows) if rows else {}
            # A lane that moved meanwhile (a row of it postponed, given back) may have an
            # earlier row pending again, which these must not overtake: back they go.
            moved = motion.moved_since(mark)
            late = [r for r in rows if moved is None or r.lane in moved]
            rows = [r for r in rows if not (moved is None or r.lane in moved)]
            moving = motion.begin(rows)
            try:
                alone = self._place(rows, found)
            except BaseException:
                # Claimed but never handed to a lane: back to the queue, untouched.
                placed = {job.row.id for lane in self._lanes.values() for job in lane.jobs}
                late += [r for r in rows if r.id not in placed]
                raise
            finally:
                if late:
                    await self.ledger.unclaim(late)
        finally:
            motion.end(moving)
        await self.sender.settle_alone(alone)
        return rows, len(due.rows)

    async def _targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> dict[int, Target | Outcome]:
        """Which chat each row goes to, as its kind says — or why it goes nowhere."""
        found: dict[int, Target | Outcome] = {}
        for name in {row.kind for row in rows}:
            kind = self.sender.context.kinds.get(name)
            group = [r for r in rows if r.kind == name]
            if kind is None:
                found |= {
                    r.id or 0: Outcome("failed", error=f"unknown kind {name!r}") for r in group
                }
            else:
                found |= await kind.targets(session, group, self.sender.context)
        # A private chat's id is its person's: one known reachable is neither blocked nor lost.
        known = app_session(session).reachable
        unreachable, lost = await chat_rows.undeliverable(
            session=session,
            user_ids=[
                r.recipient_user_id
                for r in rows
                if r.recipient_user_id and r.recipient_user_id not in known
            ],
            chat_ids=[
                target.chat_id
                for target in found.values()
                if isinstance(target, Target) and target.chat_id not in known
            ],
        )
        gone = Outcome("forbidden", error="recipient unreachable (blocked the bot earlier)")
        found |= {r.id or 0: gone for r in rows if r.recipient_user_id in unreachable}
        if lost:
            # Not tried, not counted: they wait for the chat to be bound again, which wakes them.
            pause = Outcome("wait", error=LOST, until=self.services.now() + LOST_CHAT_PAUSE)
            found |= {
                row_id: pause
                for row_id, target in found.items()
                if isinstance(target, Target) and target.chat_id in lost
            }
        return found

    def _place(
        self,
        rows: Sequence[OutboxMessage],
        found: dict[int, Target | Outcome],
        *,
        urgent: bool = False,
    ) -> list[tuple[OutboxMessage, Outcome]]:
        """Each claimed row into its chat's lane; those with no chat to go to, returned."""
        alone: list[tuple[OutboxMessage, Outcome]] = []
        for row in rows:
            target = found[row.id or 0]
            if isinstance(target, Outcome):
                alone.append((row, target))
                continue
            lane = self._lanes.get(target.chat_id)
            if lane is None:
                lane = self._lanes[target.chat_id] = ChatLane(target.chat_id)
            lane.add(Job(row, target, urgency=self.urgency.begin() if urgent else None))
            if row.id is not None:
                self.documents.prepare(row.id, row.payload)
            if lane.task is None:
                lane.task = asyncio.create_task(self._work(lane), name=f"lane {target.chat_id}")
        return alone

    # -- rows handed over by the transaction that queued them (`storage.crud.handoff`) ----

    def takes(self, message: OutboxMessage) -> bool:
        return (
            self._taking
            and not self._stopping
            and message.priority <= NORMAL
            and message.kind in self.sender.context.kinds
        )

    async def take(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> list[OutboxMessage]:
        motion = self.ledger.motion
        return await claims_crud.claim_queued(
            session=session,
            rows=[row for row in rows if not motion.moving(row.lane)],
            worker=self.id,
            now=self.services.now(),
            heartbeat=utcnow(),
        )

    async def record(self, session: AsyncSession, rows: Sequence[OutboxMessage]) -> Handed:
        ticket = self.ledger.motion.watch(rows)
        return Handed(list(rows), await self._targets(session, rows), ticket)

    def committed(self, queued: Queued) -> None:
        for handed in queued.handed:
            self.ledger.motion.unwatch(handed.ticket)
            if handed.ticket.spoiled or not self._taking or self._stopping:
                self._chore(self._give_back(handed.rows))
            else:
                alone = self._place(handed.rows, handed.found, urgent=True)
                if alone:
                    self._chore(self.sender.settle_alone(alone))
        if queued.least is not None:
            if queued.least <= NORMAL:
                self.wake()
            else:
                self._wake.set()

    def dropped(self, queued: Queued) -> None:
        for handed in queued.handed:
            self.ledger.motion.unwatch(handed.ticket)

    def _chore(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _give_back(self, rows: Sequence[OutboxMessage]) -> None:
        """A hand-off whose lane moved meanwhile: claimed the ordinary way, in lane order."""
        try:
            await self.ledger.unclaim(rows)
        except Exception:  # they stay claimed, and go back to the queue when the claim is stale
            log.exception("giving back %s handed-over outbox row(s) failed", len(rows))
        self.wake()

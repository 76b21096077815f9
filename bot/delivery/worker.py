"""The delivery worker: claims due outbox rows and sends them, many chats at once.

Rows are claimed in priority order into per-chat lanes; each lane sends one row at a time (a
chat's messages keep their order) while lanes run side by side within the limits (`gate`).
A claim is marked with this worker's id and renewed while it lives; a worker that dies leaves
its rows "sending", and whoever notices their claims have gone stale sends them again — the only
case in which a message can arrive twice, because only then is its fate unknown. Stopping
(SIGTERM) lets requests already made finish and puts everything else back, untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.errors import Outcome
from bot.delivery.gate import Pacer, install
from bot.delivery.kinds import KINDS, Context, Target
from bot.delivery.lanes import ChatLane, Job
from bot.delivery.ledger import Ledger
from bot.delivery.limiter import Limiter, Limits, MemoryLimiter
from bot.delivery.motion import Ticket
from bot.delivery.sending import Probe, Sender
from bot.services.cards import CardPublisher
from bot.services.context import Services
from bot.services.notify import NORMAL
from storage.crud import claims as claims_crud
from storage.crud import outbox as outbox_crud
from storage.crud.handoff import Queued
from storage.models import OutboxMessage
from storage.types import utcnow

log = logging.getLogger(__name__)

# Rows claimed even when the lanes are full: anything more urgent than bulk.
URGENT_CLAIM = 16
STOP_GRACE = 5.0
MIN_CAPACITY = 32


@dataclass
class Handed:
    """Rows claimed in the transaction that queued them, with where they go."""

    rows: list[OutboxMessage]
    found: dict[int, Target | Outcome]
    ticket: Ticket


def build_limiter(services: Services) -> Limiter:
    limits = Limits.from_settings(services.settings)
    url = services.settings.redis_url
    if url:
        from bot.delivery.redis_limiter import RedisLimiter

        return RedisLimiter.from_url(limits, url)
    return MemoryLimiter(limits)


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        services: Services,
        *,
        batch: int | None = None,
        idle_poll: float = 1.0,
        probe: Probe | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.services = services
        self.idle_poll = idle_poll
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.limiter = limiter or build_limiter(services)
        self.pacer = Pacer(self.limiter, services.now)
        install(bot, self.pacer)
        self.ledger = Ledger(session_factory, services, self.wake)
        self.cards = CardPublisher(bot, services, session_factory)
        settings = services.settings
        context = Context(
            bot, services, session_factory, self.cards, settings.delivery_request_timeout
        )
        self.sender = Sender(context, self.pacer, self.ledger, probe or Probe())
        self.capacity = max(MIN_CAPACITY, 2 * self.limiter.limits.global_rate.limit)
        # A refill in one claim: each claim holds SQLite's write lock for milliseconds
        # whatever its size, so fewer and larger ones leave it free for handlers more often.
        self.batch = batch or self.capacity // 2
        self.lease = settings.delivery_lease_seconds
        self._lanes: dict[int, ChatLane] = {}
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._claiming = asyncio.Lock()
        self._moved = asyncio.Event()
        self._progress = asyncio.Event()
        self._stopping = False
        self._running = False
        # Rows are taken over from their transactions only once the worker is set up.
        self._taking = False
        self._claims = 0
        self._remembered = False
        self._last_claimed = 0
        # The last claim found as many due rows as it had room for: more may be waiting.
        self._backlog = False
        # Work started outside the loop (placing or giving back rows handed over on commit).
        self._chores: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def wake(self) -> None:
        """Something was queued (or freed): look now."""
        self._wake.set()
        self._urgent.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    @property
    def held(self) -> int:
        return sum(len(lane.jobs) + len(lane.current) for lane in self._lanes.values())

    async def recover(self) -> int:
        """Rows left "sending" by a worker that stopped renewing its claims go back to the queue.

        This worker renews exactly the rows it holds, so a stale claim of its own is one it lost
        track of (an error mid-send): the same unknown fate, the same remedy.
        """
        stale_before = utcnow() - timedelta(seconds=self.lease)
        async with self.session_factory.begin() as session:
            return await claims_crud.release_in_flight(session=session, stale_before=stale_before)

    async def remember_sends(self) -> None:
        """Telegram still counts what an earlier run sent within the windows (a group's is a
        minute): a restart must not send as if nothing had gone out.

        Only written outcomes are known; a killed run's last tenth of a second is not, and its
        sends in flight cannot be told from rows merely claimed — restarting takes longer than
        the one-second windows they would weigh on."""
        longest = max(self.limiter.limits.group.window, self.limiter.limits.chat.window)
        now = self.services.now()
        async with self.session_factory() as session:
            sends = await outbox_crud.recent_sends(
                session=session, since=now - timedelta(seconds=longest)
            )
        await self.limiter.remember(
            [(chat_id, (now - sent_at).total_seconds()) for chat_id, sent_at in sends]
        )

    def _drop_lost(self, lost: set[int]) -> None:
        """Rows this worker stalled on so long that their claims went stale and were taken
        back: not sent from here any more (whoever took them sends them). (Rows settled while
        the renewal ran are not renewed either; they are no longer queued here.)"""
        dropped = 0
        for lane in self._lanes.values():
            gone = [job for job in lane.jobs if job.row.id in lost]
            lane.take(gone)
            dropped += len(gone)
        if dropped:
            log.warning("%s outbox row(s) were taken back after a stall; not sending them", dropped)

    def _holding(self) -> list[int]:
        rows = [job.row for lane in self._lanes.values() for job in lane.jobs + lane.current]
        return [row.id for row in rows if row.id is not None] + self.ledger.unwritten_ids

    async def run(self, *, until_idle: bool = False) -> None:
        # `stop` may come before the task even starts: then it does nothing but tidy up.
        self._running = True
        await self.recover()
        if not self._remembered:  # on later runs (drains) the limiter counted them itself
            await self.remember_sends()
            self._remembered = True
        self._taking = True
        ledger = asyncio.create_task(self.ledger.run(), name="delivery-ledger")
        heartbeat = asyncio.create_task(self._heartbeat(), name="delivery-heartbeat")
        urgent = asyncio.create_task(self._claim_urgent(), name="delivery-urgent")
        try:
            while not self._stopping:
                # Cleared before looking, so a commit that lands meanwhile is not slept through.
                self._wake.clear()
                try:
                    claimed = await self._claim()
                except Exception:  # a database hiccup: the worker carries on after a pause
                    log.exception("claiming outbox rows failed")
                    await asyncio.sleep(min(1.0, self.idle_poll))
                    continue
                self._claims, self._last_claimed = self._claims + 1, claimed
                self._progress.set()
                self._progress = asyncio.Event()
                if until_idle and self._idle():
                    break
                if not self._backlog or self.held >= self.capacity // 2:
                    # Topped up one row at a time as lanes finish, a broadcast would cost a
                    # claim per send (the database's lock most of the time): the lanes are
                    # refilled when half empty (`_work`), or when something new is queued.
                    timeout = 0.01 if until_idle else self.idle_poll
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        finally:
            await self._shutdown(urgent, ledger, heartbeat)
            self._running = False

    async def drain(self, limit_seconds: float = 10.0) -> None:
        """Until nothing is due and nothing in flight (tests, demo, one-off commands)."""
        async with asyncio.timeout(limit_seconds):
            if not self._running:
                self._stopping = False
                await self.run(until_idle=True)
                return
            while True:
                progress = self._progress
                self.wake()
                await progress.wait()
                if self._idle():
                    return
                # Look again once something was sent (or a moment has passed), not at once:
                # a claim per loop would keep the database busy while the lanes work.
                self._moved.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._moved.wait(), timeout=0.05)

    def _idle(self) -> bool:
        return (
            self._last_claimed == 0
            and not self._claiming.locked()
            and not self._chores
            and self.held == 0
            and self.ledger.unwritten == 0
        )

    async def _heartbeat(self) -> None:
        period = max(0.2, self.lease / 3)
        while True:
            await asyncio.sleep(period)
            try:
                holding = self._holding()
                async with self.session_factory.begin() as session:
                    kept = await claims_crud.renew(
                        session=session, worker=self.id, ids=holding, heartbeat=utcnow()
                    )
                self._drop_lost(set(holding) - kept)
                if await self.recover():
                    self.wake()
            except Exception:  # a database hiccup must not end the heartbeat
                log.exception("delivery heartbeat failed")

    async def _shutdown(self, *tasks: asyncio.Task[None]) -> None:
        """Requests already made finish; rows not yet sent go back to the queue untouched."""
        self._stopping, self._taking = True, False
        lanes = list(self._lanes.values())
        running = [lane.task for lane in lanes if lane.task is not None]
        for lane in lanes:
            if lane.task is not None and not lane.in_request:
                lane.task.cancel()  # it puts its current row back in its queue
        if running:
            await asyncio.wait(running, timeout=STOP_GRACE)
        for task in running:
            # Hung beyond the grace: its row stays "sending", its fate unknown.
            task.cancel()
        if self._chores:
            await asyncio.wait(self._chores, timeout=STOP_GRACE)
        leftover = [job.row for lane in lanes for job in lane.jobs]
        self._lanes.clear()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.ledger.flush()
            await self.ledger.unclaim(leftover)
        await self.pacer.close()

    # -- claiming ------------------------------------------------------------------------

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
            async with self._claiming:
                rows = await self._claim_batch(asked, max_priority)
            total += len(rows)
            room -= len(rows)
            backlog = len(rows) == asked
            if not backlog:
                break
        if max_priority is None:
            self._backlog = backlog
        return total

    async def _claim_batch(self, limit: int, max_priority: int | None) -> list[OutboxMessage]:
        # Where each row goes is read in the claiming transaction: one round of the database's
        # lock per batch, not two (on SQLite even reading takes it).
        moving: frozenset[str] = frozenset()
        try:
            async with self.session_factory.begin() as session:
                rows = await claims_crud.claim_due(
                    session=session,
                    limit=limit,
                    now=self.services.now(),
                    worker=self.id,
                    heartbeat=utcnow(),
                    max_priority=max_priority,
                )
                moving = self.ledger.motion.begin(rows)
                found = await self._targets(session, rows) if rows else {}
            try:
                alone = self._place(rows, found)
            except BaseException:
                # Claimed but never handed to a lane: back to the queue, untouched.
                placed = {job.row.id for lane in self._lanes.values() for job in lane.jobs}
                await self.ledger.unclaim([r for r in rows if r.id not in placed])
                raise
        finally:
            self.ledger.motion.end(moving)
        for row, outcome in alone:
            await self.sender.settle_alone(row, outcome)
        return rows

    async def _targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> dict[int, Target | Outcome]:
        """Which chat each row goes to, as its kind says — or why it goes nowhere."""
        found: dict[int, Target | Outcome] = {}
        for name in {row.kind for row in rows}:
            kind = KINDS.get(name)
            group = [r for r in rows if r.kind == name]
            if kind is None:
                found |= {
                    r.id or 0: Outcome("failed", error=f"unknown kind {name!r}") for r in group
                }
            else:
                found |= await kind.targets(session, group, self.sender.context)
        unreachable = await outbox_crud.unreachable_recipients(
            session=session, user_ids=[r.recipient_user_id for r in rows if r.recipient_user_id]
        )
        gone = Outcome("forbidden", error="recipient unreachable (blocked the bot earlier)")
        return found | {r.id or 0: gone for r in rows if r.recipient_user_id in unreachable}

    def _place(
        self, rows: Sequence[OutboxMessage], found: dict[int, Target | Outcome]
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
            lane.add(Job(row, target))
            if lane.task is None:
                lane.task = asyncio.create_task(self._work(lane), name=f"lane {target.chat_id}")
        return alone

    # -- rows handed over by the transaction that queued them (`storage.crud.handoff`) ----

    def takes(self, message: OutboxMessage) -> bool:
        return (
            self._taking
            and not self._stopping
            and message.priority <= NORMAL
            and message.kind in KINDS
        )

    async def take(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> tuple[list[OutboxMessage], Handed]:
        motion = self.ledger.motion
        taken = await claims_crud.claim_queued(
            session=session,
            rows=[row for row in rows if not motion.moving(row.lane)],
            worker=self.id,
            now=self.services.now(),
            heartbeat=utcnow(),
        )
        found = await self._targets(session, taken) if taken else {}
        return taken, Handed(taken, found, motion.watch(taken))

    def committed(self, queued: Queued) -> None:
        for handed in queued.handed:
            self.ledger.motion.unwatch(handed.ticket)
            if handed.ticket.spoiled or not self._taking or self._stopping:
                self._chore(self._give_back(handed.rows))
            else:
                alone = self._place(handed.rows, handed.found)
                if alone:
                    self._chore(self._settle_alone(alone))
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

    async def _settle_alone(self, alone: Sequence[tuple[OutboxMessage, Outcome]]) -> None:
        for row, outcome in alone:
            await self.sender.settle_alone(row, outcome)

    async def _work(self, lane: ChatLane) -> None:
        try:
            while lane.jobs and not self._stopping:
                await self.sender.next(lane)
        except Exception:
            log.exception("delivery lane %s failed", lane.chat_id)
            await self.ledger.unclaim([job.row for job in lane.current + lane.jobs])
            lane.jobs.clear()
        finally:
            lane.task = None
            if not lane.jobs and self._lanes.get(lane.chat_id) is lane:
                del self._lanes[lane.chat_id]
            if not self._lanes:
                self.ledger.nudge()
            self._moved.set()
            if self._backlog and self.held < self.capacity // 2:
                self._wake.set()


__all__ = ["DeliveryWorker", "Probe", "build_limiter"]

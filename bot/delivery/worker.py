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
from collections.abc import Mapping
from datetime import timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import logs
from bot.core.context import Services
from bot.delivery.documents import Documents
from bot.delivery.gate import Pacer, install
from bot.delivery.intake import Intake
from bot.delivery.kinds import Context, Kind
from bot.delivery.lanes import ChatLane
from bot.delivery.ledger import Ledger
from bot.delivery.limiter import Limiter, Limits, MemoryLimiter
from bot.delivery.reactions import Reactions
from bot.delivery.sending import Probe, ResultHook, Sender
from bot.delivery.urgency import Urgency
from storage.crud import claims as claims_crud
from storage.crud import outbox as outbox_crud
from storage.types import utcnow

log = logging.getLogger(__name__)

STOP_GRACE = 5.0
MIN_CAPACITY = 32


def build_limiter(services: Services) -> Limiter:
    limits = Limits.from_settings(services.settings)
    url = services.settings.redis_url
    if url:
        from bot.delivery.redis_limiter import RedisLimiter

        return RedisLimiter.from_url(limits, url, secret=services.settings.bot_token)
    return MemoryLimiter(limits)


class DeliveryWorker(Intake):
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        services: Services,
        *,
        kinds: Mapping[str, Kind],
        reactions: Reactions,
        batch: int | None = None,
        idle_poll: float = 1.0,
        probe: Probe | None = None,
        limiter: Limiter | None = None,
        urgency: Urgency | None = None,
        on_send_result: ResultHook | None = None,
        documents: Documents | None = None,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.services = services
        self.idle_poll = idle_poll
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.limiter = limiter or build_limiter(services)
        self.urgency = urgency or Urgency()
        self.pacer = Pacer(self.limiter, services.now, self.urgency)
        install(bot, self.pacer)
        self.ledger = Ledger(
            session_factory, services, self.wake, self.urgency, kinds=kinds, reactions=reactions
        )
        settings = services.settings
        self.documents = documents or Documents({}, workers=0)
        context = Context(
            bot,
            services,
            session_factory,
            kinds,
            settings.delivery_request_timeout,
            self.documents,
        )
        self.sender = Sender(context, self.pacer, self.ledger, probe or Probe(), on_send_result)
        self.capacity = max(MIN_CAPACITY, 2 * self.limiter.limits.global_rate.limit)
        # A refill in one claim or two: each holds SQLite's write lock for a moment whatever
        # its size, so fewer and larger ones leave it free for handlers more often.
        self.batch = batch or self.capacity // 2
        self.lease = settings.delivery_lease_seconds
        bind = session_factory.kw.get("bind")
        self._read_apart = bind is not None and bind.dialect.name == "sqlite"
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

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

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

    async def _work(self, lane: ChatLane) -> None:
        try:
            while lane.jobs and not self._stopping:
                await self.sender.next(lane)
        except Exception:
            log.exception("delivery lane %s failed", logs.chat(lane.chat_id))
            await self.ledger.unclaim([job.row for job in lane.current + lane.jobs])
            lane.jobs.clear()
        finally:
            lane.task = None
            if not lane.jobs and self._lanes.get(lane.chat_id) is lane:
                del self._lanes[lane.chat_id]
            if not self._lanes:
                self.ledger.nudge()
            self._moved.set()
            # `held` walks every lane, and a broadcast's lanes end by the hundred: it is counted
            # only once there are fewer lanes than that (a lane of a broadcast holds one row).
            half = self.capacity // 2
            if self._backlog and len(self._lanes) < half and self.held < half:
                self._wake.set()


__all__ = ["DeliveryWorker", "Probe", "build_limiter"]

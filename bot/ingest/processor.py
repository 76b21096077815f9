"""Stored updates to the dispatcher: one chat's in order, chats side by side.

An update leaves its chat's queue only when its transaction committed (the handler's, or the
failure report's). A failure of the surroundings (the database gone, the network) keeps it at
the head of its queue, tried again with growing pauses: the chat's later updates wait behind it,
so they cannot overtake what the person did first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from pydantic import ValidationError

from bot.core import logctx
from bot.ingest.failures import FailureReport, transient
from bot.ingest.notice import Notice
from storage.types import utcnow

log = logging.getLogger(__name__)

RETRY_FIRST, RETRY_MAX = 0.5, 30.0
WATCH_PERIOD = 1.0


@dataclass(eq=False)
class Incoming:
    update_id: int
    lane: str
    payload: dict[str, object]
    received_at: datetime
    attempts: int = 0


def retry_delay(attempts: int) -> float:
    return min(RETRY_MAX, RETRY_FIRST * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)


def _handled(item: Incoming, outcome: str, started: float) -> None:
    """Each update's one line: its kind, how its handling ended and how long it took; what it
    said and who sent it stay out."""
    kind = next((key for key in item.payload if key != "update_id"), "unknown")
    duration_ms = round((time.perf_counter() - started) * 1000)
    log.info(
        "update %s (%s): %s in %d ms",
        item.update_id,
        kind,
        outcome,
        duration_ms,
        extra={"update_type": kind, "outcome": outcome, "duration_ms": duration_ms},
    )


class Processor:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        failures: FailureReport,
        notice: Notice,
        *,
        retry_first: float = RETRY_FIRST,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.failures = failures
        self.notice = notice
        self.retry_first = retry_first
        self._lanes: dict[str, deque[Incoming]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._known: set[int] = set()
        # Stored again while being handled: Telegram redelivered it before its offset moved,
        # and the inbox row came back after the handler's commit had removed it.
        self._again: dict[int, Incoming] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None

    # -- taking updates in -------------------------------------------------------------------

    def add(self, items: Iterable[Incoming]) -> None:
        if self._stopping:
            return  # stored: the next run handles them
        for item in items:
            if item.update_id in self._known:
                self._again[item.update_id] = item
                continue
            self._known.add(item.update_id)
            self._lanes.setdefault(item.lane, deque()).append(item)
            self._idle.clear()
            if item.lane not in self._tasks:
                self._tasks[item.lane] = asyncio.create_task(
                    self._run(item.lane), name=f"lane-{item.lane}"
                )
        if self._watch is None and self.notice.enabled:
            self._watch = asyncio.create_task(self._watch_delays(), name="inbox-notice")

    def recovered(self) -> None:
        """The database answers again: updates waiting for it are tried now, not after their
        pause."""
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._lanes.values())

    async def idle(self) -> None:
        """Until every update taken in has been handled."""
        await self._idle.wait()

    async def stop(self, grace: float) -> None:
        """Updates being handled finish (within `grace`); the rest stay stored for next time."""
        self._stopping = True
        self.recovered()  # lanes pausing after a failure leave now
        running = list(self._tasks.values())
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*late, return_exceptions=True)
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    # -- handling ----------------------------------------------------------------------------

    async def _run(self, lane: str) -> None:
        queue = self._lanes[lane]
        try:
            while queue and not self._stopping:
                item = queue[0]
                try:
                    done = await self._handle(item)
                except Exception:  # never a lane lost to a bug: its updates wait, logged
                    log.exception("update %s could not be handled or reported", item.update_id)
                    done = False
                if done:
                    queue.popleft()
                    self._known.discard(item.update_id)
                    again = self._again.pop(item.update_id, None)
                    if again is not None:
                        # Fed once more it commits nothing but the row's removal (the update
                        # is recorded as handled); otherwise the row would wait for a restart.
                        self._known.add(again.update_id)
                        queue.append(again)
                    if item.attempts:
                        self.recovered()
                    continue
                item.attempts += 1
                await self._pause(self._delay(item.attempts))
        finally:
            del self._tasks[lane]
            if not queue:
                self._lanes.pop(lane, None)
                self.notice.forget(lane)
            if not self._tasks:
                self._idle.set()

    def _delay(self, attempts: int) -> float:
        return retry_delay(attempts) * self.retry_first / RETRY_FIRST

    async def _pause(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), delay)

    async def _handle(self, item: Incoming) -> bool:
        """True once the update has had its effect (or its failure is reported)."""
        update_token = logctx.update_id.set(item.update_id)
        cases_token = logctx.cases.set([])
        try:
            return await self._feed(item)
        finally:
            logctx.cases.reset(cases_token)
            logctx.update_id.reset(update_token)

    async def _feed(self, item: Incoming) -> bool:
        try:
            update = Update.model_validate(item.payload, context={"bot": self.bot})
        except ValidationError:
            log.error("update %s is not an update; dropped", item.update_id)
            return await self.failures.drop(item.update_id)
        started = time.perf_counter()
        try:
            response = await self.dispatcher.feed_update(self.bot, update)
            _handled(item, "not handled" if response is UNHANDLED else "handled", started)
            return True
        except Exception as exc:
            _handled(item, "error", started)
            if transient(exc):
                log.warning(
                    "update %s waits (attempt %s): %s",
                    item.update_id,
                    item.attempts + 1,
                    type(exc).__name__,
                )
                return False
            try:
                await self.failures.report(update, exc)
            except Exception as report_exc:
                log.warning(
                    "update %s: its failure could not be recorded (%s); trying again",
                    item.update_id,
                    type(report_exc).__name__,
                )
                return False
            return True

    async def _watch_delays(self) -> None:
        """People whose update waits for longer than a few seconds hear that it arrived."""
        period = min(WATCH_PERIOD, self.notice.after / 2)
        while not self._stopping:
            await asyncio.sleep(period)
            late = utcnow().timestamp() - self.notice.after
            waiting = [
                item
                for queue in self._lanes.values()
                for item in queue
                if item.received_at.timestamp() <= late
            ]
            for item in waiting:
                # Telling one chat takes a moment, in which another's update may be handled.
                if item in self._lanes.get(item.lane, ()):
                    await self.notice.tell([item.payload])

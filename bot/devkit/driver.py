"""Drives the app step by step until the bot is done — for tests, the demo and benchmarks.

The updates people made are fetched from the Bot API (one getUpdates that does not wait) and
taken in through the inbox as polling takes them; the processor handles every one of them; the
delivery worker (running as in production, from the first delivery on) then sends everything
due. When a round fetches nothing new, the bot is done: `settle` knows it, instead of waiting
for a quiet moment. What was postponed into the future (a retry after a failed send, a 429's
wait) is not due yet: `settle_all` moves the app's clock on to it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiogram.methods import GetUpdates
from sqlalchemy import func, select
from sqlmodel import col

from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.app.runtime import App

MAX_ROUNDS = 50


STOP_LIMIT = 60.0


class Driver:
    def __init__(self, app: App, *, deliver: bool = True) -> None:
        self.app = app
        self.offset: int | None = None
        # Off: what the bot queues stays in the outbox (a delivery worker that is down).
        self.delivering = deliver
        self._worker: asyncio.Task[None] | None = None
        # How far `settle_all` has moved the app's clock ahead of the one it found.
        self.shift = timedelta(0)
        self._shifted: Callable[[], datetime] | None = None

    async def fetch(self) -> int:
        """Takes in what is waiting on the Bot API; how many updates that was."""
        updates = await self.app.bot(GetUpdates(offset=self.offset, timeout=0))
        if updates:
            await self.app.inbox.accept(updates)
            self.offset = updates[-1].update_id + 1
        return len(updates)

    async def handle(self) -> None:
        """Until every update taken in has had its effect."""
        await self.app.processor.idle()

    async def deliver(self) -> None:
        """Until nothing due is left in the outbox."""
        if not self.delivering:
            return
        if self._worker is None:
            self._worker = asyncio.create_task(self.app.worker.run(), name="delivery")
            await asyncio.sleep(0)  # it marks itself running before anything else
        await self.app.worker.drain()

    async def settle(self) -> None:
        for _ in range(MAX_ROUNDS):
            fetched = await self.fetch()
            await self.handle()
            await self.deliver()
            if not fetched:
                return
        raise RuntimeError(f"the bot was still busy after {MAX_ROUNDS} rounds")

    async def settle_all(self, rounds: int = MAX_ROUNDS) -> None:
        """`settle`, then, while outbox rows wait for a moment to come (a retry's backoff, a
        429's wait), the app's clock is moved on to the first of them and the bot settles
        again, until nothing is pending. Only the app's clock moves; nothing sleeps."""
        for _ in range(rounds):
            await self.settle()
            async with self.app.session_factory() as session:
                due = await outbox_crud.next_due_at(session=session)
            if due is None:
                return
            self.advance_to(due)
        raise RuntimeError(
            f"outbox rows were still pending after {rounds} rounds: {await self._pending()}"
        )

    def advance_to(self, when: datetime) -> None:
        """Moves the app's clock (whichever is set: real or frozen) on to `when` at least."""
        services = self.app.services
        if services.clock is not self._shifted:
            # A clock set since (a test's frozen one) is moved on from where it stands.
            base, self.shift = services.clock, timedelta(0)

            def shifted() -> datetime:
                return base() + self.shift

            self._shifted = services.clock = shifted
        late = when - services.now()
        if late > timedelta(0):
            self.shift += late

    async def _pending(self) -> str:
        stmt = (
            select(col(OutboxMessage.method), col(OutboxMessage.last_error), func.count())
            .where(col(OutboxMessage.status) == outbox_crud.PENDING)
            .group_by(col(OutboxMessage.method), col(OutboxMessage.last_error))
        )
        async with self.app.session_factory() as session:
            rows = (await session.execute(stmt)).all()
        return "; ".join(f"{count} {method} ({error})" for method, error, count in rows)

    async def close(self) -> None:
        """Stops the delivery worker (what it holds goes back to the outbox)."""
        if self._worker is None:
            return
        self.app.worker.stop()
        # The worker bounds its own stop (its grace for sends in flight, then one write); this
        # only keeps a hung one from hanging the caller, generously for a busy machine.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._worker, timeout=STOP_LIMIT)
        self._worker = None

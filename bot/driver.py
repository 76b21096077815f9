"""Drives the app step by step until the bot is done — for tests, the demo and benchmarks.

The updates people made are fetched from the Bot API (one getUpdates that does not wait) and
taken in through the inbox as polling takes them; the processor handles every one of them; the
delivery worker (running as in production, from the first delivery on) then sends everything
due. When a round fetches nothing new, the bot is done: `settle` knows it, instead of waiting
for a quiet moment.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from aiogram.methods import GetUpdates

if TYPE_CHECKING:
    from bot.app import App

MAX_ROUNDS = 50


class Driver:
    def __init__(self, app: App, *, deliver: bool = True) -> None:
        self.app = app
        self.offset: int | None = None
        # Off: what the bot queues stays in the outbox (a delivery worker that is down).
        self.delivering = deliver
        self._worker: asyncio.Task[None] | None = None

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

    async def close(self) -> None:
        """Stops the delivery worker (what it holds goes back to the outbox)."""
        if self._worker is None:
            return
        self.app.worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._worker, timeout=10)
        self._worker = None

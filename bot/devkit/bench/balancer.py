"""Telegram's webhook and a load balancer in front of the instances, for `bench ingest
--instances`: what people do is posted to the instances' webhook routes in turn.

Telegram posts over several connections at once (40 by default) and keeps an update until it
is answered 200; one person's updates go one after another, so a person's next action never
overtakes the previous one. A balancer spreads the posts over the instances round-robin, as
nothing in a request's headers names the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

import aiohttp

from bot.devkit.emulator import BotAPIEmulator
from bot.ingest.edge import lane_of

# Telegram's own header (`bot.ingest.webhook` checks it): not imported from there, which would
# bring the bot's database and aiogram into the world's process.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONNECTIONS = 40
RETRY_PAUSE = 0.1
HOLD = 1.0


class Balancer:
    def __init__(self, emu: BotAPIEmulator, *, connections: int = CONNECTIONS) -> None:
        self._queue = emu.world.updates
        self._targets: list[str] = []
        self._secret = ""
        self._gate = asyncio.Semaphore(connections)
        self._lanes: dict[str, deque[dict[str, Any]]] = {}
        self._posting: set[asyncio.Task[None]] = set()
        self._aimed = asyncio.Event()
        self._turn = 0
        # Answers other than 200 (an instance stopping, its database away): each is posted again.
        self.refused = 0

    def aim(self, targets: list[str], secret: str) -> None:
        """From now on updates go to ``targets``; none before the first aim."""
        self._targets, self._secret = list(targets), secret
        self._aimed.set()

    async def watch(self) -> None:
        offset: int | None = None
        async with aiohttp.ClientSession() as http:
            try:
                await self._aimed.wait()
                while True:
                    # Taken from Telegram at once (the offset moves): kept here until a 200.
                    for update in await self._queue.get_updates(offset, 100, HOLD, None):
                        offset = int(update["update_id"]) + 1
                        self._line_up(http, update)
            finally:
                for task in self._posting:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*self._posting, return_exceptions=True)

    def _line_up(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        lane = lane_of(update)
        queue = self._lanes.setdefault(lane, deque())
        queue.append(update)
        if len(queue) == 1:
            task = asyncio.create_task(self._post_lane(http, lane, queue))
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)

    async def _post_lane(
        self, http: aiohttp.ClientSession, lane: str, queue: deque[dict[str, Any]]
    ) -> None:
        while queue:
            await self._post(http, queue[0])
            queue.popleft()
        del self._lanes[lane]

    async def _post(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        while True:
            target = self._targets[self._turn % len(self._targets)]
            self._turn += 1
            try:
                async with (
                    self._gate,
                    http.post(target, json=update, headers={SECRET_HEADER: self._secret}) as answer,
                ):
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            self.refused += 1
            await asyncio.sleep(RETRY_PAUSE)

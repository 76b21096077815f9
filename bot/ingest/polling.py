"""Long polling that acknowledges only what is stored.

Telegram forgets an update once a getUpdates call asks for an offset past it. So the next call
is made only after the batch is in the inbox: a crash at any moment before that leaves the
batch with Telegram, which sends it again.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramConflictError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.ingest.inbox import Inbox

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30
ERROR_PAUSE_FIRST, ERROR_PAUSE_MAX = 1.0, 30.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        inbox: Inbox,
        allowed_updates: list[str],
        *,
        timeout: int = POLL_TIMEOUT,
    ) -> None:
        self.bot = bot
        self.inbox = inbox
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.offset: int | None = None
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        pause = ERROR_PAUSE_FIRST
        while not self._stop.is_set():
            fetch = asyncio.ensure_future(self._fetch())
            stopping = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():
                # Nothing fetched is lost: what was not stored was not acknowledged either.
                fetch.cancel()
                break
            try:
                updates = fetch.result()
            except TelegramUnauthorizedError:
                raise
            except (TelegramConflictError, TelegramAPIError, OSError, TimeoutError) as exc:
                log.warning("getUpdates failed (%s); again in %.0f s", type(exc).__name__, pause)
                await asyncio.sleep(pause)
                pause = min(ERROR_PAUSE_MAX, pause * 2)
                continue
            pause = ERROR_PAUSE_FIRST
            if not updates:
                continue
            # Stored (retried through a database outage) before the offset moves past them.
            try:
                await self.inbox.accept(updates)
            except Exception:  # not stored, so not acknowledged: fetched again after a pause
                log.exception("storing %s update(s) failed; fetching them again", len(updates))
                await asyncio.sleep(pause)
                pause = min(ERROR_PAUSE_MAX, pause * 2)
                continue
            self.offset = updates[-1].update_id + 1

    async def _fetch(self) -> list[Update]:
        method = GetUpdates(
            offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
        )
        return await self.bot(method, request_timeout=self.timeout + 10)

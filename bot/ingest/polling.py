"""Long polling that acknowledges only what is stored.

Telegram forgets an update once a getUpdates call asks for an offset past it. So the next call
is made only after the batch is in the inbox: a crash at any moment before that leaves the
batch with Telegram, which sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.ingest.inbox import Inbox

log = logging.getLogger(__name__)
T = TypeVar("T")

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
            fetch = await self._unless_stopped(self._fetch(self.timeout))
            if fetch is None:
                break  # nothing fetched is lost: what was not stored was not acknowledged either
            try:
                updates = fetch.result()
            except TelegramUnauthorizedError:
                raise
            except (TelegramAPIError, ClientDecodeError, OSError, TimeoutError) as exc:
                # ClientDecodeError: not the Bot API's answer (a proxy's error page).
                log.warning("getUpdates failed (%s); again in %.0f s", type(exc).__name__, pause)
                await self._rest(pause)
                pause = min(ERROR_PAUSE_MAX, pause * 2)
                continue
            if not updates:
                pause = ERROR_PAUSE_FIRST
                continue
            # Stored (retried through a database outage) before the offset moves past them.
            stored = await self._unless_stopped(self.inbox.accept(updates, more=self._more))
            if stored is None:
                break
            try:
                last = stored.result()
            except Exception:
                # Not stored, so not acknowledged: Telegram gives the batch again.
                log.exception("storing %s update(s) failed; again in %.0f s", len(updates), pause)
                await self._rest(pause)
                pause = min(ERROR_PAUSE_MAX, pause * 2)
                continue
            pause = ERROR_PAUSE_FIRST
            self.offset = last + 1

    async def _unless_stopped(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
        """The finished task, or None when the poller was stopped first (the work cancelled)."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if task.done():
            return task
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None

    async def _rest(self, pause: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), pause)

    async def _more(self) -> list[Update]:
        """What waits with Telegram from the current offset, without waiting for more."""
        return await self._fetch(0)

    async def _fetch(self, hold: int) -> list[Update]:
        """Telegram holds the call for up to `hold` seconds while there is nothing."""
        method = GetUpdates(offset=self.offset, timeout=hold, allowed_updates=self.allowed_updates)
        return await self.bot(method, request_timeout=hold + 10)

"""Every call that puts something in a chat passes here: its chat's slot, then a global one.

The global slots go out in priority order, so a confirmation waiting behind a running broadcast
takes the very next one; bulk sends also leave a small reserve of the global window untouched,
so there usually is one. The chat's slot is taken first and on its own: a chat that must wait
delays nobody else.

The middleware sits on the Bot's session, so handlers' direct answers are limited exactly like
the outbox's sends. The worker marks its own calls (`SendContext`): they carry the row's
priority, and a blocked chat raises `Paused` at once so the row goes back to the outbox instead
of holding a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.core import logs
from bot.delivery.limiter import GLOBAL, Grant, Limiter, chat_scopes
from bot.delivery.urgency import Urgency

log = logging.getLogger(__name__)

# What a handler's direct answer weighs: ahead of everything queued.
DIRECT_PRIORITY = -1
BULK_PRIORITY = 20
# How often bulk sends look again while interactive work is in progress.
URGENCY_POLL = 0.005
# A handler waits this long (in app seconds) for a blocked chat; longer, and it gets `Paused`.
DIRECT_MAX_WAIT = 5.0
# 429s for this many different chats within this many seconds mean the bot as a whole is over.
GLOBAL_FLOOD_CHATS, GLOBAL_FLOOD_SECONDS = 3, 2.0

COUNTED_PREFIXES = ("send", "copy", "forward", "edit")
COUNTED_TOPIC_METHODS = frozenset({"createForumTopic", "editForumTopic", "closeForumTopic"})


def counted(method: str) -> bool:
    """Calls Telegram counts against its message limits (edits included)."""
    if method == "sendChatAction":
        return False
    return method.startswith(COUNTED_PREFIXES) or method in COUNTED_TOPIC_METHODS


class Paused(Exception):
    """Telegram told this chat (or the bot) to wait until `until` (app clock)."""

    def __init__(self, chat_id: int | str, until: datetime) -> None:
        super().__init__(f"chat {chat_id} waits until {until.isoformat()}")
        self.chat_id = chat_id
        self.until = until


@dataclass
class SendContext:
    """Set by the worker around one row's calls."""

    priority: int
    requested: bool = False  # a request went out: the row's fate is now Telegram's
    # Slots taken before the first request (to decide what to send once there is room).
    grants: tuple[Grant, Grant] | None = None


current_send: ContextVar[SendContext | None] = ContextVar("current_send", default=None)


class Pacer:
    """Chat slots, then global slots by priority; penalties when Telegram says 429."""

    def __init__(
        self, limiter: Limiter, clock: Callable[[], datetime], urgency: Urgency | None = None
    ) -> None:
        self.limiter = limiter
        self.clock = clock
        self.urgency = urgency or Urgency()
        self._waiters: list[tuple[int, int, asyncio.Future[Grant]]] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._next_bulk = 0.0
        self._recent_429: list[tuple[float, int | str]] = []

    async def acquire(self, chat_id: int | str, priority: int) -> tuple[Grant, Grant]:
        scopes = chat_scopes(chat_id)
        while True:
            chat = await self.limiter.try_acquire(scopes, app_now=self.clock())
            if chat.blocked_until is not None:
                raise Paused(chat_id, chat.blocked_until)
            if chat.ok:
                break
            await asyncio.sleep(chat.wait)
        try:
            glob = await self._global(priority)
        except BaseException:
            await self.limiter.release(chat, used=False)
            raise
        if glob.blocked_until is not None:
            await self.limiter.release(chat, used=False)
            raise Paused(chat_id, glob.blocked_until)
        return chat, glob

    async def release(self, grants: Sequence[Grant], *, used: bool = True) -> None:
        for grant in grants:
            await self.limiter.release(grant, used=used)

    def _bulk_wait(self, priority: int) -> float:
        """Bulk goes out at the steady pace even when the window has room: a broadcast that
        took a whole window at once would free it all at once a window later, leaving gaps in
        which a confirmation finds no slot."""
        if priority < BULK_PRIORITY:
            return 0.0
        if self.urgency.busy:
            return URGENCY_POLL
        return max(0.0, self._next_bulk - asyncio.get_running_loop().time())

    def _granted(self, priority: int) -> None:
        if priority >= BULK_PRIORITY:
            rate = self.limiter.limits.global_rate
            now = asyncio.get_running_loop().time()
            # Time lost waiting for the window is caught up, but never more than a tenth of it.
            self._next_bulk = (
                max(now - rate.window / 10, self._next_bulk) + rate.window / rate.limit
            )

    async def _global(self, priority: int) -> Grant:
        headroom = self.limiter.limits.bulk_reserve if priority >= BULK_PRIORITY else 0
        urgent = not self._waiters or priority < self._waiters[0][0]
        if urgent and not self._bulk_wait(priority):
            # Nobody waiting is more urgent: try at once (a confirmation amid a broadcast
            # finds the reserve free and goes without waiting for the next round).
            grant = await self.limiter.try_acquire(
                (GLOBAL,), app_now=self.clock(), headroom=headroom
            )
            if grant.ok or grant.blocked_until is not None:
                if grant.ok:
                    self._granted(priority)
                return grant
        future: asyncio.Future[Grant] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._serve(), name="delivery-gate")
        elif urgent:
            self._kick.set()
        return await future

    async def _serve(self) -> None:
        """Hands out global slots to the waiters, best priority first."""
        while self._waiters:
            priority, _, future = self._waiters[0]
            if future.done():  # its caller gave up
                heapq.heappop(self._waiters)
                continue
            paced = self._bulk_wait(priority)
            if paced:
                wait = paced
            else:
                headroom = self.limiter.limits.bulk_reserve if priority >= BULK_PRIORITY else 0
                grant = await self.limiter.try_acquire(
                    (GLOBAL,), app_now=self.clock(), headroom=headroom
                )
                if grant.ok or grant.blocked_until is not None:
                    heapq.heappop(self._waiters)
                    if future.done():
                        if grant.ok:
                            await self.limiter.release(grant, used=False)
                    else:
                        if grant.ok:
                            self._granted(priority)
                        future.set_result(grant)
                    continue
                wait = grant.wait
            # Until a slot frees, or sooner if someone more urgent arrives.
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=min(wait, 0.05))

    async def penalize(self, chat_id: int | str, retry_after: float) -> list[str]:
        """Block what the 429 was about: the chat, or everything when many chats get them."""
        now = asyncio.get_running_loop().time()
        self._recent_429 = [
            (t, c) for t, c in self._recent_429 if t > now - GLOBAL_FLOOD_SECONDS
        ] + [(now, chat_id)]
        scopes = list(chat_scopes(chat_id))
        if len({c for _, c in self._recent_429}) >= GLOBAL_FLOOD_CHATS:
            scopes.append(GLOBAL)
        app_now = self.clock()
        until = app_now + timedelta(seconds=retry_after)
        await self.limiter.penalize(scopes, until=until, app_now=app_now)
        kinds = ", ".join(scope.split(":")[0] for scope in scopes)  # without the chat's id
        log.warning("429 for chat %s: %s wait %ss", logs.chat(chat_id), kinds, retry_after)
        return scopes

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump


class RateLimitMiddleware(BaseRequestMiddleware):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id: Any = getattr(method, "chat_id", None)
        if chat_id is None or not counted(method.__api_method__):
            return await make_request(bot, method)
        send = current_send.get()
        if send is not None and send.grants is not None:
            grants, send.grants = send.grants, None
        else:
            grants = await self._acquire(chat_id, send)
        if send is not None:
            send.requested = True
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            await self.pacer.penalize(chat_id, exc.retry_after)
            raise
        finally:
            await self.pacer.release(grants)

    async def _acquire(self, chat_id: int | str, send: SendContext | None) -> tuple[Grant, Grant]:
        priority = DIRECT_PRIORITY if send is None else send.priority
        while True:
            try:
                return await self.pacer.acquire(chat_id, priority)
            except Paused as exc:
                wait = (exc.until - self.pacer.clock()).total_seconds()
                if send is not None or wait > DIRECT_MAX_WAIT:
                    raise
                await asyncio.sleep(max(wait, 0.01))


def install(bot: Bot, pacer: Pacer) -> None:
    """Put the limits on every call the bot makes (once per bot)."""
    if not any(isinstance(m, RateLimitMiddleware) for m in bot.session.middleware):
        bot.session.middleware(RateLimitMiddleware(pacer))

"""Messages a minute: a student writing (or pressing) faster than
`limit_messages_per_minute` in their private chat has the rest of that minute's updates
dropped, with one notice per minute, not one per message. Officers and admins are exempt.

A fixed window (the clock's minute): a count per student and minute, which Redis keeps for
every instance when the FSM lives there (several instances take one chat's updates in turns),
and the process otherwise (one instance takes them all). A dropped update still leaves the
inbox in its transaction (`TransactionMiddleware` commits around this), so it is not retried;
the notice is an outbox row of that transaction like every reply.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis

from bot.app.middlewares import Handler
from bot.core.context import Services, Turn
from bot.delivery import notify
from storage.crud import outbox as outbox_crud

log = logging.getLogger(__name__)

EXEMPT = frozenset({"officer", "admin"})
PREFIX = "sv:flood"


class Window(Protocol):
    async def take(self, user_id: int, minute: int) -> int:
        """Count one more of the student's updates in `minute`; how many there are now."""
        ...


class ProcessWindow:
    """This process's counts, for the current minute only."""

    def __init__(self) -> None:
        self._minute = -1
        self._counts: dict[int, int] = {}

    async def take(self, user_id: int, minute: int) -> int:
        if minute != self._minute:
            # A fixed window: the last minute's counts say nothing about this one.
            self._minute, self._counts = minute, {}
        self._counts[user_id] = count = self._counts.get(user_id, 0) + 1
        return count


class RedisWindow:
    """Counts every instance shares; a student's key is a keyed hash of their id, so no key
    says who wrote."""

    def __init__(self, redis: Redis, secret: str) -> None:
        self.redis = redis
        self.secret = secret.encode()

    async def take(self, user_id: int, minute: int) -> int:
        who = hmac.new(self.secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:24]
        key = f"{PREFIX}:{who}:{minute}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = await pipe.execute()
        return int(count)


def window_for(storage: Any, secret: str) -> Window:
    """Redis's when the conversation states are kept there, else the process's."""
    redis = getattr(getattr(storage, "inner", storage), "redis", None)
    return RedisWindow(redis, secret) if isinstance(redis, Redis) else ProcessWindow()


class FloodGate(BaseMiddleware):
    def __init__(self, services: Services, window: Window) -> None:
        self.services = services
        self.window = window

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        limit = self.services.settings.limit_messages_per_minute
        turn: Turn = data["turn"]
        chat = data.get("event_chat")
        if (
            limit <= 0
            or not isinstance(event, Update)
            or (event.message is None and event.callback_query is None)
            or turn.user is None
            or chat is None
            or chat.type != "private"
            or turn.roles & EXEMPT
        ):
            return await handler(event, data)
        minute = int(self.services.now().timestamp() // 60)
        taken = await self.window.take(turn.user.id, minute)
        if taken <= limit:
            return await handler(event, data)
        if taken == limit + 1:
            await outbox_crud.enqueue(
                session=turn.session,
                messages=notify.to_user(
                    services=self.services,
                    user=turn.user,
                    template="student/limit_messages.html",
                    limit=limit,
                ),
            )
        log.info("update %s dropped: its sender is over the messages limit", event.update_id)
        return None

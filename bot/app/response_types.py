"""Keeps aiogram's answer models alive between requests.

aiogram reads every answer into `Response[T]`, a generic pydantic model built on first use and
cached by pydantic only weakly: once the garbage collector frees it, the next request builds it
again — milliseconds of schema work that stall the event loop, and with it every send and every
answer in flight. Holding one per method keeps the cache warm for the life of the bot.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType


class KeepResponseTypes(BaseRequestMiddleware):
    def __init__(self) -> None:
        self._held: dict[type[Any], Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self._held:
            self._held[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)

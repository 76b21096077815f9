"""While the database is away, people are told that what they sent arrived.

Sent straight to Telegram (the outbox lives in the database that is away), once per chat per
outage: a message in a private chat, the answer to a pressed button (its spinner stops). Group
chats are not told: officers see their own message, and a notice would be noise there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.i18n import locale_for
from bot.render import Renderer

log = logging.getLogger(__name__)

NOTICE_AFTER = 5.0


class Notice:
    def __init__(self, bot: Bot, renderer: Renderer, *, after: float | None = NOTICE_AFTER) -> None:
        self.bot = bot
        self.renderer = renderer
        self.enabled = after is not None
        self.after = after if after is not None else 0.0
        self._told: set[int | str] = set()

    def reset(self) -> None:
        """The outage is over: a later one tells people again."""
        self._told.clear()

    async def tell(self, payloads: Iterable[dict[str, Any]]) -> None:
        for payload in payloads:
            try:
                await self._tell_one(payload)
            except TelegramAPIError as exc:
                log.info("a waiting notice could not be sent: %s", type(exc).__name__)
            except Exception as exc:  # the network is likely away too; the update still waits
                log.info("a waiting notice could not be sent: %s", type(exc).__name__)

    async def _tell_one(self, payload: dict[str, Any]) -> None:
        query = payload.get("callback_query")
        message = payload.get("message")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            if query["id"] in self._told:
                return
            self._told.add(query["id"])
            text = self._text(query.get("from"))
            await self.bot.answer_callback_query(query["id"], text=text, show_alert=False)
            return
        if not isinstance(message, dict):
            return
        chat = message.get("chat") or {}
        chat_id = chat.get("id")
        if chat.get("type") != "private" or not isinstance(chat_id, int) or chat_id in self._told:
            return
        self._told.add(chat_id)
        await self.bot.send_message(chat_id, self._text(message.get("from")))

    def _text(self, sender: Any) -> str:
        language = sender.get("language_code") if isinstance(sender, dict) else None
        return self.renderer.render(locale_for(None, language), "system/received.html")

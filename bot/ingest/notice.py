"""While the database is away, people are told that what they sent arrived.

Sent straight to Telegram (the outbox lives in the database that is away): once per chat while
its updates wait, a message in a private chat; and the answer to each pressed button (its
spinner stops). Group chats are not told: officers see their own message, and a notice would be
noise there. Once nothing of a chat waits any more (`forget`), a later delay is told again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from bot.core import logs
from bot.core.i18n import locale_for
from bot.core.render import Renderer
from bot.ingest.edge import lane_of

log = logging.getLogger(__name__)

NOTICE_AFTER = 5.0
MESSAGE = "message"


class Notice:
    def __init__(self, bot: Bot, renderer: Renderer, *, after: float | None = NOTICE_AFTER) -> None:
        self.bot = bot
        self.renderer = renderer
        self.enabled = after is not None
        self.after = after if after is not None else 0.0
        # Per lane: MESSAGE once its chat was told, and the ids of the buttons answered.
        self._told: dict[str, set[str]] = {}

    def forget(self, lane: str) -> None:
        """Nothing of the lane waits any more."""
        self._told.pop(lane, None)

    async def tell(self, payloads: Iterable[dict[str, Any]]) -> None:
        for payload in payloads:
            try:
                await self._tell_one(payload)
            except Exception as exc:  # the network is likely away too; the update still waits
                log.info("a waiting notice could not be sent: %s", logs.exception_text(exc))

    async def _tell_one(self, payload: dict[str, Any]) -> None:
        query = payload.get("callback_query")
        message = payload.get("message")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            key, sender = query["id"], query.get("from")
        elif isinstance(message, dict) and (message.get("chat") or {}).get("type") == "private":
            key, sender = MESSAGE, message.get("from")
        else:
            return
        told = self._told.setdefault(lane_of(payload), set())
        if key in told:
            return
        text = self._text(sender)
        told.add(key)  # before sending: the inbox and the processor may both be telling
        try:
            if key == MESSAGE:
                await self.bot.send_message(message["chat"]["id"], text)  # type: ignore[index]
            else:
                await self.bot.answer_callback_query(key, text=text, show_alert=False)
        except (TelegramBadRequest, TelegramForbiddenError):
            pass  # Telegram's final word (a button too old, a blocked bot): not asked again
        except BaseException:
            told.discard(key)  # lost on the way: tried again
            raise

    def _text(self, sender: Any) -> str:
        language = sender.get("language_code") if isinstance(sender, dict) else None
        return self.renderer.render(locale_for(None, language), "system/received.html")

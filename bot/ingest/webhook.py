"""Telegram's webhook: an update is answered 200 only once it is in the inbox.

Telegram sends an update again until it gets a 2xx, so every other answer keeps it safe: 401 for
a request without the secret (not Telegram's), 503 while the database is away or the server is
stopping. The route is added to an application made elsewhere, so the same server can answer
health checks too.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web

from bot.ingest.inbox import Inbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookIntake:
    def __init__(self, inbox: Inbox, secret: str) -> None:
        self.inbox = inbox
        self._secret = secret.encode()
        self._stopping = False
        self._in_hand: set[asyncio.Task[Any]] = set()

    def stop(self) -> None:
        """From now on every request is answered 503: Telegram keeps the update for later."""
        self._stopping = True

    async def drained(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until the requests being stored are answered (or `timeout`): none is cut off between
        its commit and its 200."""
        if self._in_hand:
            await asyncio.wait(set(self._in_hand), timeout=timeout)

    async def handle(self, request: web.Request) -> web.Response:
        if self._stopping:
            return web.Response(status=503, text="stopping")
        token = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(token, self._secret):
            return web.Response(status=401, text="unauthorized")
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        # Shielded: Telegram closing the connection must not cut a commit in half.
        store = asyncio.ensure_future(self.inbox.accept_once([payload]))
        self._in_hand.add(store)
        store.add_done_callback(self._in_hand.discard)
        try:
            await asyncio.shield(store)
        except Exception as exc:
            log.warning(
                "update %s not stored (%s); Telegram sends it again",
                payload["update_id"],
                type(exc).__name__,
            )
            return web.Response(status=503, text="not stored")
        return web.Response(text="ok")


def add_webhook_route(web_app: web.Application, intake: WebhookIntake, path: str) -> None:
    web_app.router.add_post(path, intake.handle)

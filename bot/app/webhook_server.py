"""`studentvoice webhook`: Telegram posts updates to an HTTP server instead of being polled.

The inbox, the processor and the delivery worker are the polling mode's; only the way updates
arrive differs. On a stop the server answers 503 (Telegram keeps the update and sends it to the
next start), lets the requests being stored finish, then stops as polling does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

from aiohttp import web

from bot.app.http import build_web_app
from bot.app.runtime import App, announce, close, freeze_startup_heap, running, start_up
from bot.core.config import ConfigError, parse_listen
from bot.ingest.webhook import WebhookIntake, add_webhook_route


class WebhookServer:
    def __init__(self, app: App) -> None:
        settings = app.settings
        if not settings.webhook_secret or not settings.webhook_url:
            raise ValueError("the webhook needs WEBHOOK_SECRET and WEBHOOK_URL")
        self.app = app
        self.intake = WebhookIntake(app.inbox, settings.webhook_secret)
        # One server: Telegram's route beside /healthz and /metrics (the reverse proxy forwards
        # only the webhook's path).
        self.web_app = build_web_app(app)
        add_webhook_route(self.web_app, self.intake, settings.webhook_path)
        self.url = settings.webhook_url.rstrip("/") + settings.webhook_path
        self.host, self.port = parse_listen(settings.webhook_listen)
        self.listening = asyncio.Event()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self.intake.stop()  # at once: a request arriving from now on is refused
        self._stop.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Until SIGTERM/SIGINT (or `stop()`): updates stored, then answered 200, then handled."""
        app, settings = self.app, self.app.settings
        listening = self._bind()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if handle_signals else ()
        for signum in signals:
            loop.add_signal_handler(signum, self.stop)
        # Requests still open when it is cleaned up were answered 503 already: no need to wait.
        runner = web.AppRunner(self.web_app, handle_signals=False, shutdown_timeout=1.0)
        try:
            await start_up(app)
            freeze_startup_heap()
            async with running(app):
                # What the last run stored is queued before anything new, so each chat's order
                # holds.
                await app.inbox.recover()
                await runner.setup()
                await web.SockSite(runner, listening).start()
                await app.bot.set_webhook(
                    self.url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=app.dispatcher.resolve_used_update_types(),
                    drop_pending_updates=False,
                )
                await announce(app, "webhook")
                self.listening.set()
                await self._stop.wait()
                await self._wind_down(settings.shutdown_grace_seconds)
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
            await runner.cleanup()
            listening.close()  # not yet the site's if the start failed before it
            await close(app)

    def _bind(self) -> socket.socket:
        """Before anything starts: an address already taken stops the bot with one line."""
        try:
            listening = socket.create_server((self.host, self.port))
        except OSError as exc:
            listen, why = self.app.settings.webhook_listen, os.strerror(exc.errno or 0)
            raise ConfigError(f"WEBHOOK_LISTEN {listen}: cannot listen ({why})") from exc
        self.port = int(listening.getsockname()[1])
        return listening

    async def _wind_down(self, grace: float) -> None:
        """New requests are refused; stored ones are answered; handling gets what is left of
        the grace period (what does not finish stays in the inbox for the next start)."""
        deadline = time.monotonic() + grace
        await self.intake.drained(grace)
        await self.app.processor.stop(max(0.0, deadline - time.monotonic()))

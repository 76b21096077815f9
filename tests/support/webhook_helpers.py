"""Webhook bots against the emulator, with the emulator's updates posted to them as Telegram
posts them: over HTTP, with the secret, each kept until it is answered 200."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiogram.fsm.storage.base import BaseStorage

from bot.app.runtime import build_app
from bot.app.webhook_server import WebhookServer
from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator
from bot.ingest.webhook import SECRET_HEADER
from tests.support import anonymity
from tests.support.harness import make_settings

SECRET = "test_Secret-0123456789"
WAIT = 20.0


@contextlib.asynccontextmanager
async def webhook_bot(
    emu: BotAPIEmulator,
    database_url: str,
    *,
    handle_signals: bool = False,
    storage: BaseStorage | None = None,
    **overrides: Any,
) -> AsyncIterator[WebhookServer]:
    """`studentvoice webhook` on 127.0.0.1 (a free port), started and listening; stopped (as
    SIGTERM stops it) on the way out unless the test stopped it. ``storage``: the conversation
    states' own, instead of the one the settings name."""
    values: dict[str, Any] = {
        "webhook_url": "https://bot.example.edu.cn",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1:0",
        **overrides,
    }
    settings = make_settings(emu.base_url, database_url, **values)
    server = WebhookServer(build_app(settings, storage=storage))
    anonymity.watch(emu, database_url, settings.admin_ids, settings.identity_key)
    task = asyncio.create_task(server.run(handle_signals=handle_signals))
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
    listening.cancel()
    if task.done():
        task.result()  # it failed to start: say why
    try:
        yield server
    finally:
        server.stop()
        await asyncio.wait_for(task, timeout=WAIT)


def address(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.port}{server.app.settings.webhook_path}"


async def post(
    http: aiohttp.ClientSession, server: WebhookServer, update: dict[str, Any], secret: str | None
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with http.post(address(server), json=update, headers=headers) as response:
        return response.status


class WebhookDriver(Driver):
    """`Driver.settle` for webhook bots: what people did is posted to the servers in turn (one
    instance, then the next, as a load balancer would), kept with the emulator until a 200."""

    def __init__(self, emu: BotAPIEmulator, servers: list[WebhookServer]) -> None:
        super().__init__(servers[0].app)
        self.emu = emu
        self.servers = servers
        self.turn = 0
        self.statuses: list[int] = []
        self.http = aiohttp.ClientSession()

    async def fetch(self) -> int:
        queue = self.emu.world.updates
        updates = await queue.get_updates(self.offset, None, 0, None)
        for update in updates:
            server = self.servers[self.turn % len(self.servers)]
            self.turn += 1
            status = await post(self.http, server, update, SECRET)
            self.statuses.append(status)
            if status != 200:
                break  # Telegram keeps it, and what comes after it, for later
            self.offset = int(update["update_id"]) + 1
        return len(updates)

    async def handle(self) -> None:
        for server in self.servers:
            await server.app.processor.idle()

    async def deliver(self) -> None:
        # The servers' own workers run in the background, as in production.
        for server in self.servers:
            await server.app.worker.drain()

    async def close(self) -> None:
        await self.http.close()


@contextlib.asynccontextmanager
async def webhook_driver(
    emu: BotAPIEmulator, servers: list[WebhookServer]
) -> AsyncIterator[WebhookDriver]:
    driver = WebhookDriver(emu, servers)
    try:
        yield driver
    finally:
        await driver.close()


async def settled(emu: BotAPIEmulator, *servers: WebhookServer) -> None:
    """What people did is posted to the servers and handled, and what it queued is sent."""
    async with webhook_driver(emu, list(servers)) as driver:
        await driver.settle()

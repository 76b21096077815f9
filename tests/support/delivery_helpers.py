"""What the delivery tests share: limits scaled from Telegram's, queuing rows, counting arrivals."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlmodel import col

from bot.app.runtime import App
from bot.delivery import notify
from bot.devkit.emulator import BotAPIEmulator, RecordedRequest, StrictLimits
from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage
from tests.conftest import IN_CI
from tests.support import redis_lock


def limits(scale: float, *, group_per_minute: float | None = None) -> dict[str, Any]:
    """Telegram's limits × `scale`, as settings (the group's may be set on its own)."""
    return {
        "delivery_global_per_second": 30 * scale,
        "delivery_chat_per_second": 1 * scale,
        "delivery_chat_burst": 3,
        "delivery_group_per_minute": group_per_minute or 20 * scale,
    }


def strict(settings: dict[str, Any]) -> StrictLimits:
    """The emulator enforcing exactly the limits the bot is configured with."""
    return StrictLimits(
        global_per_second=settings["delivery_global_per_second"],
        chat_per_second=settings["delivery_chat_per_second"],
        chat_burst=settings["delivery_chat_burst"],
        group_per_minute=settings["delivery_group_per_minute"],
    )


def texts(
    chat_id: int, bodies: list[str], *, priority: int = notify.NORMAL, recipient: bool = True
) -> list[OutboxMessage]:
    return notify.message_rows(
        chat_id=chat_id,
        texts=bodies,
        case_id=None,
        recipient=chat_id if recipient and chat_id > 0 else None,
        priority=priority,
    )


async def queue(app: App, rows: list[OutboxMessage]) -> None:
    async with app.session_factory.begin() as session:
        await outbox_crud.enqueue(session=session, messages=rows)
    app.worker.wake()


async def statuses(app: App) -> dict[str, int]:
    async with app.session_factory() as session:
        rows = await session.scalars(select(col(OutboxMessage.status)))
        found: dict[str, int] = {}
        for status in rows:
            found[status] = found.get(status, 0) + 1
        return found


async def eventually(
    check: Callable[[], Any], *, within: float = 20.0, what: str = "the condition"
) -> None:
    """Waits for `check()` (sync or async) to hold; a deadline, not a measurement."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def delivered(emu: BotAPIEmulator, chat_id: int) -> list[str]:
    """Texts that reached a chat, in the order Telegram took them."""
    return [
        str(r.params.get("text", ""))
        for r in emu.requests
        if r.ok and r.chat_id == chat_id and r.method == "sendMessage"
    ]


def refused(emu: BotAPIEmulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.error_code == 429]


async def redis_url(db: int | None = None) -> str:
    """TEST_REDIS_URL's server with database `db` (None: TEST_REDIS_URL's own), emptied, for
    this test alone (`redis_lock`). A module keeps its number (6 the ingest bench, 9 and 10 two
    instances, 11 erasure, 12 and 13 limits, 14 key rotation, 15 sealed identities)."""
    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        if IN_CI:
            pytest.fail("CI=true but TEST_REDIS_URL is not set: Redis tests must run in CI")
        pytest.skip("TEST_REDIS_URL not set")
    redis_lock.hold()
    url = base if db is None else urlparse(base)._replace(path=f"/{db}").geturl()
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    return url

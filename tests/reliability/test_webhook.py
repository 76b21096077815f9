"""`studentvoice webhook` end to end: updates posted over HTTP to the real server on 127.0.0.1,
the bot's own calls answered by the emulator. An update is answered 200 only once it is stored;
everything else (no secret, the database away, a stop) leaves it with Telegram."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, select
from sqlalchemy import exc as sa_exc
from sqlmodel import col

from bot.app.runtime import LIFECYCLE
from bot.app.webhook_server import WebhookServer
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.ingest.edge import lane_of
from bot.ingest.processor import Incoming
from storage.models import InboxUpdate, ProcessedUpdate
from storage.types import utcnow
from tests.support.harness import reset_database
from tests.support.webhook_helpers import SECRET, post, settled, webhook_bot, webhook_driver

pytestmark = pytest.mark.e2e
WELCOME = "同意"  # the consent button /start answers with


@pytest.fixture
async def fresh_database(database_url: str) -> str:
    await (await reset_database(database_url)).dispose()
    return database_url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def stored(server: WebhookServer) -> list[int]:
    async with server.app.session_factory() as session:
        inbox = await session.scalars(select(col(InboxUpdate.update_id)))
        processed = await session.scalars(select(col(ProcessedUpdate.update_id)))
        return sorted([*inbox, *processed])


async def pending_update(emu: BotAPIEmulator, user: SimUser, text: str) -> dict[str, Any]:
    """What Telegram would post for the user's message (left out of any getUpdates)."""
    await user.send(text)
    update = emu.world.updates.history[-1]
    emu.world.updates.drop_pending()
    return update


def answers(emu: BotAPIEmulator, user: SimUser, contains: str) -> int:
    return sum(contains in str(m.reply_markup or "") for m in emu.bot_messages(user.id))


async def test_a_request_without_the_secret_is_refused_and_nothing_is_stored(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    student = emulator.add_user(user_id=5201, first_name="Lin", language_code="zh-hans")
    async with webhook_bot(emulator, fresh_database) as server:
        update = await pending_update(emulator, student, "/start")
        assert await post(http, server, update, None) == 401
        assert await post(http, server, update, "wrong_secret") == 401
        assert await post(http, server, update, SECRET + "x") == 401
        await server.app.processor.idle()
        assert await stored(server) == []
    assert emulator.bot_messages(student.id) == []


async def test_an_update_is_answered_only_once_stored_then_handled(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    student = emulator.add_user(user_id=5202, first_name="Lin", language_code="zh-hans")
    async with webhook_bot(emulator, fresh_database) as server:
        processor = server.app.processor
        # Handed on only after the answer is known: the row must be there before any handling.
        held: list[Incoming] = []
        server.app.inbox.processor.add = held.extend  # type: ignore[method-assign]
        update = await pending_update(emulator, student, "/start")
        assert await post(http, server, update, SECRET) == 200
        async with server.app.session_factory() as session:
            row = await session.get(InboxUpdate, update["update_id"])
        assert row is not None and [item.update_id for item in held] == [update["update_id"]]

        del server.app.inbox.processor.add
        processor.add(held)
        await settled(emulator, server)
        assert answers(emulator, student, WELCOME) == 1


async def test_the_same_update_posted_twice_is_handled_once(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    student = emulator.add_user(user_id=5203, first_name="Lin", language_code="zh-hans")
    async with webhook_bot(emulator, fresh_database) as server:
        update = await pending_update(emulator, student, "/start")
        # Together (Telegram timed out on the first), then again once it was handled.
        first = await asyncio.gather(*(post(http, server, update, SECRET) for _ in range(2)))
        assert first == [200, 200]
        async with webhook_driver(emulator, [server]) as driver:
            await driver.settle()
            assert await post(http, server, update, SECRET) == 200
            await driver.settle()
        assert await stored(server) == [update["update_id"]]
    assert answers(emulator, student, WELCOME) == 1


async def test_start_sets_the_webhook_with_the_secret_and_the_update_types(
    emulator: BotAPIEmulator, fresh_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LIFECYCLE)
    async with webhook_bot(emulator, fresh_database, webhook_path="/tg/hook") as server:
        started = [r.getMessage() for r in caplog.records if "started" in r.getMessage()]
        assert len(started) == 1 and "started: webhook," in started[0]
        assert SECRET not in caplog.text
        calls = emulator.requests_for("setWebhook")
        assert len(calls) == 1
        params = calls[0].params
        assert params["url"] == "https://bot.example.edu.cn/tg/hook"
        assert params["secret_token"] == SECRET
        used = server.app.dispatcher.resolve_used_update_types()
        assert sorted(params["allowed_updates"]) == sorted(used)
        assert "callback_query" in used
        assert not params.get("drop_pending_updates")


async def test_a_database_that_is_away_is_answered_5xx_then_the_redelivery_is_handled(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    student = emulator.add_user(user_id=5204, first_name="Lin", language_code="zh-hans")
    async with webhook_bot(emulator, fresh_database) as server:
        away = True

        def refuse(*args: Any) -> None:
            if away:
                raise sa_exc.OperationalError("", None, ConnectionError("the database is away"))

        event.listen(server.app.engine.sync_engine, "before_cursor_execute", refuse)
        update = await pending_update(emulator, student, "/start")
        status = await post(http, server, update, SECRET)
        assert 500 <= status < 600
        away = False
        assert await stored(server) == []

        assert await post(http, server, update, SECRET) == 200
        await settled(emulator, server)
    assert answers(emulator, student, WELCOME) == 1


async def test_sigterm_refuses_new_updates_and_loses_none_it_acknowledged(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    students = [
        emulator.add_user(user_id=5210 + n, first_name="Lin", language_code="zh-hans")
        for n in range(3)
    ]
    updates = [await pending_update(emulator, s, "/start") for s in students]
    async with webhook_bot(
        emulator, fresh_database, handle_signals=True, shutdown_grace_seconds=5
    ) as server:
        # Stored and acknowledged, but still in hand when the signal comes.
        held: list[Incoming] = []
        server.app.inbox.processor.add = held.extend  # type: ignore[method-assign]
        for update in updates[:2]:
            assert await post(http, server, update, SECRET) == 200
        # Its handler runs on the loop's next turn, before the request below can reach the
        # server (that takes several).
        signal.raise_signal(signal.SIGTERM)
        # Telegram keeps what is refused and sends it to the next start.
        assert await post(http, server, updates[2], SECRET) == 503
    assert len(held) == 2

    async with webhook_bot(emulator, fresh_database) as restarted:
        for update in updates:  # Telegram redelivers everything not answered 200 … or all
            assert await post(http, restarted, update, SECRET) == 200
        await settled(emulator, restarted)
        assert await stored(restarted) == sorted(u["update_id"] for u in updates)
    for student in students:
        assert answers(emulator, student, WELCOME) == 1


async def test_the_webhook_server_also_answers_health_and_metrics(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    async with webhook_bot(emulator, fresh_database) as server:
        base = f"http://127.0.0.1:{server.port}"
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["checks"]["database"] == {"ok": True}
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert "studentvoice_updates_total" in await response.text()


async def test_a_copy_stored_again_after_its_handling_leaves_the_inbox_changing_nothing(
    emulator: BotAPIEmulator, fresh_database: str, http: aiohttp.ClientSession
) -> None:
    """A redelivery can be stored just after the first handling removed the update's row (the
    inbox looks at the handled and the waiting updates one after the other). Fed again, it
    changes nothing and its row goes, instead of coming back at every start."""
    student = emulator.add_user(user_id=5207, first_name="Lin", language_code="zh-hans")
    async with webhook_bot(emulator, fresh_database) as server:
        update = await pending_update(emulator, student, "/start")
        assert await post(http, server, update, SECRET) == 200
        async with webhook_driver(emulator, [server]) as driver:
            await driver.settle()
            async with server.app.session_factory.begin() as session:
                session.add(
                    InboxUpdate(
                        update_id=update["update_id"],
                        lane=lane_of(update),
                        payload=update,
                        received_at=utcnow(),
                    )
                )
            assert await server.app.inbox.recover() == 1
            await server.app.processor.idle()
            await driver.settle()
        assert await stored(server) == [update["update_id"]]  # handled, and nothing waits
    assert answers(emulator, student, WELCOME) == 1

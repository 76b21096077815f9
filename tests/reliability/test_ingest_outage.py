"""The database away while the bot runs (polling, inbox, processor, delivery worker): what
arrives meanwhile is not acknowledged before it is stored, the people waiting are told once
that it arrived, and when the database is back everything happens, each thing once.

On PostgreSQL the outage is real: the bot's connections are ended and new ones refused. On
SQLite (and for a database that stores but fails while handling) every statement of the bot's
engine fails while the outage lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from bot.app.runtime import App, serve
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from storage.db import DURABLE
from tests.support.harness import start_bot
from tests.support.ingest_helpers import Ledger, Submitter, database, ledger, seed_cases

NOTICE_SECONDS = 0.5
RECEIVED = "已收到你的消息，正在处理中"
INFO_SAVED = "您的补充信息已添加到"
LIMIT = 60.0


class Injected:
    """Every statement of the bot's engine fails while `failing`, except, with `store_only`,
    those of the inbox's durable writes: a database that takes updates in but fails while
    they are handled."""

    def __init__(self, app: App, *, store_only: bool = False) -> None:
        self.failing = False
        self.store_only = store_only
        event.listen(app.engine.sync_engine, "before_cursor_execute", self._check)

    def _check(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.failing:
            return
        if self.store_only and conn.get_execution_options().get(DURABLE):
            return
        raise sa_exc.OperationalError(statement, None, ConnectionError("the database is away"))

    @contextlib.asynccontextmanager
    async def outage(self) -> AsyncIterator[None]:
        self.failing = True
        try:
            yield
        finally:
            self.failing = False


@contextlib.asynccontextmanager
async def postgres_outage(database_url: str) -> AsyncIterator[None]:
    """The database refuses connections and ends the ones it has, until the block ends."""
    url = make_url(database_url)
    name = url.database
    admin_url = url.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


@contextlib.asynccontextmanager
async def serving(emu: BotAPIEmulator, database_url: str) -> AsyncIterator[App]:
    """The bot as `studentvoice run` runs it, in this process."""
    async with start_bot(emu, database_url, inbox_notice_seconds=NOTICE_SECONDS) as app:
        app.poller.timeout = 1
        task = asyncio.create_task(serve(app))
        try:
            await emu.wait_for_poller(timeout=LIMIT)
            yield app
        finally:
            app.poller.stop()
            await asyncio.wait_for(task, LIMIT)


async def until_done(emu: BotAPIEmulator, database_url: str, tokens: set[str]) -> Ledger:
    """Until the tokens are stored, nothing waits (inbox, Telegram) and all was sent."""
    deadline = time.monotonic() + LIMIT
    async with database(database_url) as engine:
        while True:
            with contextlib.suppress(sa_exc.DBAPIError, OSError):
                state = await ledger(engine)
                if state.done(tokens, emu.world.updates.pending_count):
                    return state
            assert time.monotonic() < deadline, f"not done:\n{emu.dump()}"
            await asyncio.sleep(0.1)


def said(emu: BotAPIEmulator, who: Submitter, text: str, *, since: int = 0) -> int:
    return sum(text in m.content and m.changed_mark >= since for m in emu.bot_messages(who.user.id))


def toasts(emu: BotAPIEmulator, query_id: str) -> list[str]:
    return [
        str(r.params.get("text", ""))
        for r in emu.requests_for("answerCallbackQuery")
        if r.ok and r.params.get("callback_query_id") == query_id
    ]


async def told(emu: BotAPIEmulator, who: Submitter) -> None:
    await emu.wait_for_message(who.user.id, contains=RECEIVED, since=0, timeout=LIMIT)


def acknowledged(emu: BotAPIEmulator) -> set[int]:
    return emu.world.updates.confirmed


async def emu_until(check: Callable[[], bool], emu: BotAPIEmulator) -> None:
    deadline = time.monotonic() + LIMIT
    while not check():
        assert time.monotonic() < deadline, emu.dump()
        await asyncio.sleep(0.05)


async def stored_waiting(database_url: str) -> set[int]:
    async with database(database_url) as engine:
        return (await ledger(engine)).waiting


async def test_outage_updates_wait_people_are_told_once_nothing_is_lost(
    database_url: str,
) -> None:
    async with BotAPIEmulator() as emu:
        ana, ben, cai = await seed_cases(emu, database_url, 3)
        async with serving(emu, database_url) as app:
            await ana.add_info("A0")
            await until_done(emu, database_url, {"A0"})
            injected = Injected(app)
            real = database_url.startswith("postgresql")
            outage = emu.mark()
            async with postgres_outage(database_url) if real else injected.outage():
                waiting = {await ana.add_info("A1")}
                mark = emu.mark()
                press = await ben.user.press(ben.confirmation, "查看进度")
                waiting.add(emu.updates[-1]["update_id"])
                await told(emu, ana)
                await emu_until(lambda: any(RECEIVED in text for text in toasts(emu, press)), emu)
                # More arrives while the first batch waits: its people are told as well.
                waiting.add(await ana.add_info("A2"))
                waiting.add(await cai.add_info("C1"))
                await told(emu, cai)
                assert not waiting & acknowledged(emu), "nothing unstored is acknowledged"
            state = await until_done(emu, database_url, {"A0", "A1", "A2", "C1"})
            # The press had its effect too: the case's progress.
            await emu.wait_for_message(ben.user.id, contains=ben.number, since=mark, timeout=0)

        assert waiting <= acknowledged(emu) and waiting <= state.processed
        assert state.tokens == {"A0": 1, "A1": 1, "A2": 1, "C1": 1}
        assert said(emu, ana, INFO_SAVED) == 3 and said(emu, cai, INFO_SAVED) == 1
        # (A0 may have been slow enough for a notice of its own: counted from the outage on.)
        assert said(emu, ana, RECEIVED, since=outage) == 1
        assert said(emu, cai, RECEIVED, since=outage) == 1
        assert said(emu, ben, RECEIVED) == 0  # a button is answered, not written to


async def test_handling_fails_updates_are_stored_and_wait_people_are_told(
    database_url: str,
) -> None:
    async with BotAPIEmulator() as emu:
        ana, ben = await seed_cases(emu, database_url, 2)
        async with serving(emu, database_url) as app:
            injected = Injected(app, store_only=True)
            async with injected.outage():
                stored = {await ana.add_info("A1"), await ben.add_info("B1")}
                await told(emu, ana)
                await told(emu, ben)
                await emu_until(lambda: stored <= acknowledged(emu), emu)
                assert stored <= await stored_waiting(database_url), "acknowledged once stored"
            state = await until_done(emu, database_url, {"A1", "B1"})

        assert state.tokens == {"A1": 1, "B1": 1}
        for who in (ana, ben):
            assert said(emu, who, INFO_SAVED) == 1
            assert said(emu, who, RECEIVED) == 1


async def test_telegram_answering_with_an_error_page_pauses_polling(database_url: str) -> None:
    """A proxy in front of the Bot API answering getUpdates with its own error page: the bot
    tries again after a pause, and what was sent meanwhile arrives once."""
    async with BotAPIEmulator() as emu:
        (ana,) = await seed_cases(emu, database_url, 1)
        async with serving(emu, database_url):
            page = "<html><h1>502 Bad Gateway</h1></html>"
            emu.policy = FaultPolicy().fail("getUpdates", code=502, page=page, times=2)
            await ana.add_info("A1")
            state = await until_done(emu, database_url, {"A1"})
        assert isinstance(emu.policy, FaultPolicy) and not emu.policy.pending("getUpdates")
    assert state.tokens == {"A1": 1}
    assert said(emu, ana, INFO_SAVED) == 1

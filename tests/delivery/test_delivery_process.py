"""Real bot processes: killed mid-broadcast, stopped politely, and two sharing one outbox."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlmodel import col

from bot.app.runtime import build_app, running
from bot.delivery import notify
from bot.devkit.emulator import BotAPIEmulator
from storage.crud import outbox as outbox_crud
from storage.db import create_engine, create_session_factory
from storage.models import OutboxMessage, User
from storage.types import utcnow
from tests.support.delivery_helpers import eventually, limits, redis_url, refused, strict, texts
from tests.support.harness import make_settings, process_env, reset_database

BASE = 7_000_000
SETTINGS = limits(3)  # 90 messages a second in all: a broadcast of 240 takes about 3 s


def bot_process(
    command: str, emu: BotAPIEmulator, database_url: str, tmp_path: Path, **env: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", command],
        cwd=tmp_path,
        env=process_env(emu, database_url, SETTINGS, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def started(process: subprocess.Popen[bytes]) -> None:
    """Until the process says it started (its stderr is read on, and dropped, after that)."""
    assert process.stderr is not None
    said: list[bytes] = []
    while not said or b" started: " not in said[-1]:
        line = await asyncio.to_thread(process.stderr.readline)
        assert line, f"exited before starting: {said}"
        said.append(line)
    drain = process.stderr
    asyncio.get_running_loop().run_in_executor(None, drain.read)


async def stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> int:
    process.send_signal(sig)
    # A bound, not a measurement: a polite stop finishes what is in flight and leaves.
    return await asyncio.to_thread(process.wait, 10)


async def broadcast(database_url: str, emu: BotAPIEmulator, count: int, parts: int = 1) -> None:
    """A fresh database with `count` students, each owed `parts` messages, queued at once."""
    await students(database_url, emu, count)
    await queue_broadcast(database_url, count, parts)


async def students(database_url: str, emu: BotAPIEmulator, count: int) -> None:
    engine = await reset_database(database_url)
    ids = [BASE + n for n in range(count)]
    for uid in ids:
        emu.add_user(uid, f"S{uid}", started=True)
    async with create_session_factory(engine).begin() as session:
        await session.execute(
            insert(User),
            [{"id": uid, "first_name": f"S{uid}", "created_at": utcnow()} for uid in ids],
        )
    await engine.dispose()


async def queue_broadcast(database_url: str, count: int, parts: int) -> None:
    engine = create_engine(database_url)
    ids = [BASE + n for n in range(count)]
    async with create_session_factory(engine).begin() as session:
        rows = [
            row
            for uid in ids
            for row in texts(uid, [f"{uid}/{part}" for part in range(parts)], priority=notify.BULK)
        ]
        await outbox_crud.enqueue(session=session, messages=rows)
    await engine.dispose()


async def outbox(database_url: str) -> list[OutboxMessage]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list(
                await session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            )
    finally:
        await engine.dispose()


def arrivals(emu: BotAPIEmulator) -> Counter[str]:
    return Counter(
        str(r.params["text"])
        for r in emu.requests
        if r.ok and r.method == "sendMessage" and r.chat_id and r.chat_id >= BASE
    )


async def test_killed_mid_broadcast_then_restarted_every_message_arrives(
    database_url: str, tmp_path: Path
) -> None:
    """SIGKILL mid-broadcast, restart, SIGTERM mid-broadcast, restart: every message arrives;
    a message arrives twice only if it was being sent when the process was killed, and the
    polite stop leaves nothing half-sent."""
    count = 240
    async with BotAPIEmulator(policy=strict(SETTINGS)) as emu:
        await broadcast(database_url, emu, count)

        first = bot_process("run", emu, database_url, tmp_path)
        try:
            await eventually(lambda: len(arrivals(emu)) >= 60, within=60, what="the broadcast")
        finally:
            first.kill()
            await asyncio.to_thread(first.wait, 10)
        unknown = {
            row.payload["text"] for row in await outbox(database_url) if row.status == "sending"
        }
        assert unknown, "killed with sends in flight"

        second = bot_process("run", emu, database_url, tmp_path)
        try:
            await eventually(lambda: len(arrivals(emu)) >= 150, within=60, what="more of it")
        finally:
            assert await stop(second, signal.SIGTERM) == 0
        assert not [row for row in await outbox(database_url) if row.status == "sending"]

        # The rest, from a worker in this process (a third start would only cost time).
        app = build_app(make_settings(emu.base_url, database_url, **SETTINGS))
        try:
            async with running(app):
                await eventually(lambda: len(arrivals(emu)) == count, within=60, what="the rest")
                await app.worker.drain()
        finally:
            await app.bot.session.close()
            await app.engine.dispose()

        received = arrivals(emu)
        assert {row.status for row in await outbox(database_url)} == {"sent"}
        twice = {text for text, times in received.items() if times > 1}
        assert twice <= unknown
        assert refused(emu) == []


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_instances_share_one_outbox(database_url: str, tmp_path: Path) -> None:
    """`run` and `deliver` on one PostgreSQL database with Redis: nothing is sent twice, each
    student's two parts arrive in order, and together they never break the limits."""
    shared: dict[str, Any] = {"REDIS_URL": await redis_url(10)}
    count = 150
    async with BotAPIEmulator(policy=strict(SETTINGS)) as emu:
        await students(database_url, emu, count)
        one = bot_process("run", emu, database_url, tmp_path, **shared)
        two = bot_process("deliver", emu, database_url, tmp_path, **shared)
        try:
            # Both started before there is anything to send: which one starts faster is the
            # machine's business, and the faster alone could send it all.
            await asyncio.gather(started(one), started(two))
            await queue_broadcast(database_url, count, parts=2)
            await eventually(lambda: len(arrivals(emu)) == 2 * count, within=60, what="all")
        finally:
            codes = [await stop(one, signal.SIGTERM), await stop(two, signal.SIGTERM)]
        assert codes == [0, 0]

        received = arrivals(emu)
        assert set(received.values()) == {1}  # nothing twice
        for n in range(count):
            uid = BASE + n
            bodies = [str(r.params["text"]) for r in emu.requests if r.ok and r.chat_id == uid]
            assert bodies == [f"{uid}/0", f"{uid}/1"]
        rows = await outbox(database_url)
        assert len({row.claimed_by for row in rows}) == 2  # both did part of the work
        assert refused(emu) == []

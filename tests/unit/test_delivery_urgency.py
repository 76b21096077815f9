"""Background delivery steps aside for interactive work; lanes that move are noticed."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bot.delivery.motion import Motion
from bot.delivery.urgency import Urgency
from storage.db import READ_ONLY, create_engine, create_session_factory
from storage.models import OutboxMessage


async def test_background_work_waits_while_an_answer_is_in_progress() -> None:
    urgency = Urgency(longest=5.0)
    waited = asyncio.Event()

    async def bulk() -> None:
        await urgency.yield_to()
        waited.set()

    with urgency.active():
        task = asyncio.create_task(bulk())
        await asyncio.sleep(0.05)
        assert urgency.busy and not waited.is_set()
    await asyncio.wait_for(task, timeout=1.0)
    assert not urgency.busy


async def test_a_mark_never_ended_lapses_on_its_own() -> None:
    urgency = Urgency(longest=0.05)
    urgency.begin()  # never ended: a bug must not stop a broadcast
    started = time.monotonic()
    await asyncio.wait_for(urgency.yield_to(), timeout=1.0)
    assert time.monotonic() - started >= 0.04
    assert not urgency.busy


def row(lane: str) -> OutboxMessage:
    return OutboxMessage(method="sendMessage", payload={}, lane=lane)


def test_a_lane_that_moved_during_a_claim_is_named() -> None:
    motion = Motion()
    with motion.of([row("c1")]):
        mark = motion.mark()  # c1 is moving as the claim starts reading
    with motion.of([row("c2")]):
        pass  # c2 moved (and settled) while the claim read
    assert motion.moved_since(mark) == {"c1", "c2"}
    assert motion.moved_since(motion.mark()) == frozenset()


def test_a_hand_off_is_spoiled_by_a_move_in_its_lane_only() -> None:
    motion = Motion()
    mine, other = motion.watch([row("c1")]), motion.watch([row("c9")])
    with motion.of([row("c1")]):
        assert motion.moving("c1") and not motion.moving("c9")
    assert mine.spoiled and not other.spoiled
    motion.unwatch(mine)
    motion.unwatch(other)


async def test_a_read_only_session_does_not_wait_for_sqlites_write_lock() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        engine = create_engine(
            f"sqlite+aiosqlite:///{Path(workdir) / 'x.db'}", connect_args={"timeout": 5}
        )
        factory = create_session_factory(engine)
        async with factory.begin() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        writer = factory()
        try:
            await writer.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock
            async with factory(execution_options={READ_ONLY: True}) as reader:
                count = await asyncio.wait_for(
                    reader.scalar(text("SELECT count(*) FROM t")), timeout=1.0
                )
            assert count == 0  # the snapshot from before the writer's commit
        finally:
            await writer.rollback()
            await writer.close()
            await engine.dispose()

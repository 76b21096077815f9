"""Per-student limits: cases a day, messages a minute; past either, one friendly message."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import State
from storage.models import InboxUpdate
from tests.support import delivery_helpers
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    advance,
    freeze_clock,
    officer_harness,
    received,
    seed_case,
    seed_student,
)
from tests.support.student_helpers import db_cases

LIMIT_TEXT = "过去 24 小时内已提交"
FLOOD_TEXT = "超过了机器人的接收上限"


@pytest.mark.harness(limit_submissions_per_day=2)
async def test_past_the_daily_limit_new_is_refused_with_when_and_eases_after_a_day(
    harness: Harness,
) -> None:
    h = harness
    assert h.app is not None
    clock = freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    await h.submit(alice)
    advance(clock, hours=1)
    await h.submit(alice, "第二件：宿舍热水每天晚上十点以后就没有了。")

    await alice.send("/new")
    await h.settle()
    refusal = h.last(alice).text or ""
    # The first case was sent an hour before the second: that is when a third may come.
    again = h.app.services.renderer.format_time(clock[0] + timedelta(hours=23))
    assert LIMIT_TEXT in refusal and again in refusal
    assert len(await db_cases(h)) == 2

    advance(clock, hours=23, minutes=1)
    await h.submit(alice, "第三件：图书馆空调温度太低，希望调整。")
    assert len(await db_cases(h)) == 3


@pytest.mark.harness(limit_submissions_per_day=1)
async def test_the_limit_is_checked_again_at_send(harness: Harness) -> None:
    h = harness
    freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    await alice.send("/new")
    await h.settle()
    await alice.press(h.last(alice), "权益诉求")
    await h.settle()
    await alice.press(h.last(alice), "后勤餐饮")
    await h.settle()
    await alice.send("食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。")
    await h.settle()
    await alice.press(h.last(alice), 0)
    await h.settle()
    await alice.press(h.last(alice), 0)
    await h.settle()
    preview = h.last(alice)
    # Meanwhile another case of hers is sent (from another device, a second draft).
    await seed_case(h, alice)

    await alice.press(preview, 0)  # ✅ 提交
    await h.settle()
    assert LIMIT_TEXT in (h.last(alice).text or "")
    assert [c.state for c in await db_cases(h)] == [State.SUBMITTED]


@pytest.mark.harness(limit_messages_per_minute=30)
async def test_forty_messages_in_a_minute_thirty_handled_and_one_notice(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    clock = freeze_clock(h)
    clock[0] = clock[0].replace(second=0, microsecond=0)
    alice = await seed_student(h, 1001, "Alice")
    since = len(h.emu.requests)

    for _ in range(40):
        await alice.send("/my")
    await h.settle()

    texts = received(h, alice, since)
    notices = [t for t in texts if FLOOD_TEXT in t]
    assert len(notices) == 1
    assert len(texts) - len(notices) == 30  # one answer to each /my that was handled
    async with h.app.session_factory() as session:
        # Dropped updates left the inbox like handled ones: none is fed again.
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0

    # The next minute she is heard again, and told nothing more.
    advance(clock, minutes=1)
    since = len(h.emu.requests)
    await alice.send("/my")
    await h.settle()
    assert len(received(h, alice, since)) == 1
    assert FLOOD_TEXT not in received(h, alice, since)[0]


@pytest.mark.harness(limit_messages_per_minute=3)
async def test_officers_and_admins_are_not_limited(harness: Harness) -> None:
    h = harness
    assert h.admin is not None
    clock = freeze_clock(h)
    clock[0] = clock[0].replace(second=0, microsecond=0)
    alice = await seed_student(h, 1001, "Alice")
    since = len(h.emu.requests)
    for _ in range(6):
        await h.admin.send("/my")
        await alice.send("/my")
    await h.settle()
    assert len(received(h, h.admin.id, since)) == 6
    assert len(received(h, alice, since)) == 4  # three answers and the notice


@pytest.fixture
async def redis_url() -> str:
    return await delivery_helpers.redis_url()


async def test_with_redis_the_count_is_shared_and_names_nobody(
    emulator: BotAPIEmulator, tmp_path: Path, redis_url: str
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/flood.db"
    async with officer_harness(
        emulator, database_url, redis_url=redis_url, limit_messages_per_minute=5
    ) as h:
        assert h.app is not None
        clock = freeze_clock(h)
        clock[0] = clock[0].replace(second=0, microsecond=0)
        alice = await seed_student(h, 1001, "Alice")
        since = len(h.emu.requests)
        for _ in range(8):
            await alice.send("/my")
        await h.settle()
        texts = received(h, alice, since)
        assert len(texts) == 6 and sum(FLOOD_TEXT in t for t in texts) == 1

        client = Redis.from_url(redis_url)
        try:
            keys = [k.decode() async for k in client.scan_iter(match="sv:flood:*")]
        finally:
            await client.aclose()
        assert len(keys) == 1 and str(alice.id) not in keys[0]

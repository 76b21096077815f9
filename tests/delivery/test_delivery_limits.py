"""The limiter never lets a burst past Telegram's limits, alone or shared by several instances."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.delivery.limiter import GLOBAL, Grant, Limiter, Limits, MemoryLimiter, Rate, chat_scopes
from bot.delivery.redis_limiter import RedisLimiter
from bot.devkit.emulator import BotAPIEmulator
from storage.types import utcnow
from tests.support.delivery_helpers import (
    delivered,
    limits,
    queue,
    redis_url,
    refused,
    strict,
    texts,
)
from tests.support.harness import OFFICERS_CHAT, TOKEN
from tests.support.officer_helpers import officer_harness, seed_student

NOTICES = -1009000000001
TELEGRAM = Limits(global_rate=Rate(30, 1.0), chat=Rate(3, 3.0), group=Rate(20, 60.0))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_random_burst_never_overflows_any_window() -> None:
    """Hundreds of sends to a few chats and groups with random answer times: at no moment does
    any scope hold more than its limit within one window, counted the way Telegram sees it —
    from each request's arrival, which lies somewhere between grant and answer."""
    clock, rng = FakeClock(), random.Random(3)
    limiter = MemoryLimiter(TELEGRAM, clock)
    chats = [1000 + n for n in range(50)] + [-100500 - n for n in range(5)]
    in_flight: list[tuple[float, Grant]] = []
    arrivals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    app_now = utcnow()
    for _ in range(5000):
        chat = rng.choice(chats)
        grant = await limiter.try_acquire((*chat_scopes(chat), GLOBAL), app_now=app_now)
        if grant.ok:
            answered = clock.now + rng.uniform(0.001, 0.4)
            in_flight.append((answered, grant))
            for scope in grant.scopes:
                arrivals[scope].append((clock.now, answered))
        clock.now += rng.uniform(0, 0.01)
        for answered, done in [item for item in in_flight if item[0] <= clock.now]:
            in_flight.remove((answered, done))
            saved, clock.now = clock.now, answered
            await limiter.release(done)
            clock.now = saved
    assert len(arrivals[GLOBAL]) > 600  # the burst did press on the limits
    for scope, sends in arrivals.items():
        rate = TELEGRAM.rate(scope)
        for j, (granted, _) in enumerate(sends):
            # Sends before this one that Telegram may count in the same window: each may have
            # arrived as late as its answer, and this one as early as its grant.
            overlapping = [i for i in range(j) if sends[i][1] > granted - rate.window]
            assert len(overlapping) < rate.limit, scope


async def test_bulk_leaves_a_reserve_of_the_global_window_for_the_urgent() -> None:
    clock = FakeClock()
    limiter = MemoryLimiter(TELEGRAM, clock)
    reserve = TELEGRAM.bulk_reserve
    granted = 0
    while (
        await limiter.try_acquire((GLOBAL,), app_now=utcnow(), headroom=reserve)
    ).ok and granted < 100:
        granted += 1
    assert granted == 30 - reserve
    assert (await limiter.try_acquire((GLOBAL,), app_now=utcnow())).ok


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        yield MemoryLimiter(TELEGRAM)
        return
    shared = RedisLimiter.from_url(TELEGRAM, await redis_url(12), secret=TOKEN)
    yield shared
    await shared.close()


async def test_a_429_blocks_the_scope_until_retry_after_then_slows_it(limiter: Limiter) -> None:
    now = utcnow().replace(microsecond=0)
    scopes = chat_scopes(1001)
    await limiter.penalize(scopes, until=now + timedelta(seconds=30), app_now=now)

    blocked = await limiter.try_acquire(scopes, app_now=now + timedelta(seconds=29))
    assert not blocked.ok and blocked.blocked_until == now + timedelta(seconds=30)
    assert (await limiter.try_acquire(chat_scopes(1002), app_now=now)).ok  # others go on

    later = now + timedelta(seconds=31)
    first = await limiter.try_acquire(scopes, app_now=later)
    assert first.ok
    # Three in a burst before; after the 429 only one until the (longer) window has passed.
    second = await limiter.try_acquire(scopes, app_now=later)
    assert not second.ok and second.blocked_until is None and second.wait > 0


async def test_two_instances_share_the_limits_through_redis() -> None:
    url = await redis_url(13)
    one = RedisLimiter.from_url(TELEGRAM, url, secret=TOKEN)
    two = RedisLimiter.from_url(TELEGRAM, url, secret=TOKEN)
    try:
        now = utcnow()
        grants = [await one.try_acquire(chat_scopes(-100500), app_now=now) for _ in range(3)]
        assert all(g.ok for g in grants)
        assert not (await two.try_acquire(chat_scopes(-100500), app_now=now)).ok
        assert await two.available("group:-100500") == 17

        await one.penalize(chat_scopes(2002), until=now + timedelta(minutes=5), app_now=now)
        assert (await two.try_acquire(chat_scopes(2002), app_now=now)).blocked_until is not None

        for grant in grants:
            await one.release(grant, used=False)  # never sent: the slots are free again
        assert (await two.try_acquire(chat_scopes(-100500), app_now=now)).ok
    finally:
        await one.close()
        await two.close()


async def test_a_burst_through_the_bot_is_never_refused(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """Students' messages, several each, and the officers' chat, all at once, against an
    emulator that answers 429 to anything over the limits: every message arrives, in order."""
    settings = limits(4, group_per_minute=40)
    emulator.policy = strict(settings)
    async with officer_harness(emulator, database_url, **settings) as h:
        assert h.app is not None
        students = [await seed_student(h, 3000 + n, f"S{n}") for n in range(30)]
        rows = [row for s in students for row in texts(s.id, [f"{s.id} 第{k}条" for k in range(4)])]
        rows += texts(OFFICERS_CHAT, [f"群消息 {k}" for k in range(10)])
        await queue(h.app, rows)
        await h.settle()

        assert refused(h.emu) == []
        for s in students:
            assert delivered(h.emu, s.id) == [f"{s.id} 第{k}条" for k in range(4)]
        assert delivered(h.emu, OFFICERS_CHAT)[-10:] == [f"群消息 {k}" for k in range(10)]


async def test_a_restart_still_counts_the_last_minutes_sends_to_a_group(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """A group took its minute's worth just before a restart: the restarted bot, whose
    limiter starts empty, waits for the window instead of earning a 429 (and a long penalty)."""
    settings = limits(1, group_per_minute=4)
    emulator.policy = strict(settings)
    emulator.add_group(NOTICES, "通知群")
    async with officer_harness(emulator, database_url, **settings) as h:
        assert h.app is not None
        await queue(h.app, texts(NOTICES, [f"通知 {k}" for k in range(4)]))
        await h.settle()
        assert delivered(h.emu, NOTICES) == [f"通知 {k}" for k in range(4)]

    async with officer_harness(
        emulator, database_url, reset=False, grant_officer=False, **settings
    ) as h:
        assert h.app is not None
        await queue(h.app, texts(NOTICES, ["重启之后"]))
        with pytest.raises(TimeoutError):
            await h.app.worker.drain(limit_seconds=2)
        assert delivered(h.emu, NOTICES) == [f"通知 {k}" for k in range(4)]
        assert refused(h.emu) == []


async def test_remembered_sends_fill_their_windows_until_they_expire() -> None:
    clock = FakeClock()
    limiter = MemoryLimiter(TELEGRAM, clock)
    now = utcnow()
    await limiter.remember([(-100500, 50.0 - k) for k in range(20)] + [(1001, 0.5)])
    group = await limiter.try_acquire(chat_scopes(-100500), app_now=now)
    assert not group.ok and group.wait == pytest.approx(10.0)
    assert await limiter.available("chat:1001") == 3 - 1
    assert await limiter.available(GLOBAL) == 30 - 1
    clock.now += 10.0
    assert (await limiter.try_acquire(chat_scopes(-100500), app_now=now)).ok

"""`bench ingest --instances 2`: the same walks against one instance of StudentVoice, then
against two, as production runs several: webhook servers behind a load balancer, sharing
PostgreSQL and Redis, each with its own delivery worker.

Telegram lets one consumer call getUpdates, so several instances take updates by webhook: the
world posts them (`bot.devkit.bench.balancer`), round-robin over the instances it is aimed at.
Both modes use that path, so the ratio is the second instance's doing alone. Each instance is a
process of its own (`bot.devkit.bench.instance`); this process prepares the database, drives the
phases and measures: the instances' CPU as they report it, and how busy the whole machine was,
since on a small server the world, PostgreSQL and Redis compete for the same cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.devkit.bench.channel import BenchError, Channel
from bot.devkit.bench.instance import SECRET, spawned_instance
from bot.devkit.bench.meter import MachineWindow, cpu_ticks
from bot.devkit.bench.seed import grant_officers, onboard_like, require_empty
from bot.devkit.bench.submissions import ModeResult, all_or_fail, given_up, phases
from bot.devkit.bench.world import ADMIN_ID, OFFICER_IDS, STUDENT_ID_BASE
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade

ONE, TWO = "one", "two"


@dataclass
class Instance:
    channel: Channel
    url: str
    id: str

    async def ask(self, command: str, *, limit: float) -> Usage:
        """The command's answer: what the instance has used and done so far."""
        answer = await self.channel.ask(command, limit=limit, seconds=limit)
        return Usage(float(answer["cpu_seconds"]), int(answer["updates"]))


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    updates: int


@dataclass
class ScalingResult:
    students: int
    modes: dict[str, ModeResult]
    instance_ids: list[str]
    # Updates each instance's dispatcher was fed in each mode's windows: with two, the split;
    # together, as many as were sent unless one was handled twice.
    fed: dict[str, list[int]]
    # And the CPU each used then (with one, the second's idle delivery worker and scheduler).
    cpu: dict[str, list[float]]
    given_up: int


async def measure_scaling(
    channel: Channel,
    app_url: str,
    database_url: str,
    redis_url: str,
    *,
    students: int,
    concurrency: int,
    limit: float,
) -> ScalingResult:
    engine = create_engine(database_url)
    session_factory = create_session_factory(engine)
    try:
        try:
            await upgrade(engine)
        except (OSError, SQLAlchemyError) as exc:
            raise BenchError(f"cannot prepare the database: {exc}") from exc
        await require_empty(session_factory)
        await _require_empty_redis(redis_url)
        await grant_officers(session_factory, list(OFFICER_IDS), granted_by=ADMIN_ID)
        async with contextlib.AsyncExitStack() as stack:
            instances = []
            # One after the other: each binds the officers' chat as it starts.
            for _ in range(2):
                instance, ready = await stack.enter_async_context(
                    spawned_instance(app_url, database_url, redis_url, limit=limit)
                )
                instances.append(Instance(instance, ready["url"], ready["instance"]))
            told = {"number": ready["number"], "notice": ready["notice"]}
            return await _measure(
                channel, instances, session_factory, told, students, concurrency, limit
            )
    finally:
        await engine.dispose()


async def _require_empty_redis(url: str) -> None:
    """Conversation states left by an earlier run would put its students mid-dialogue."""
    client = Redis.from_url(url)
    try:
        keys = await client.dbsize()
    except OSError as exc:
        raise BenchError(f"cannot reach Redis: {exc}") from exc
    finally:
        await client.aclose()
    if keys:
        raise BenchError(f"the Redis database holds {keys} key(s); the bench needs an empty one")


async def _measure(
    channel: Channel,
    instances: list[Instance],
    session_factory: async_sessionmaker[AsyncSession],
    told: dict[str, str],
    students: int,
    concurrency: int,
    limit: float,
) -> ScalingResult:
    # Each instance warms up on a whole walk of its own (alternating, each would see only
    # every other step of it).
    warmup = STUDENT_ID_BASE
    await _aim(channel, instances[:1], limit)
    await all_or_fail(channel, "onboard", limit, ids=[warmup], concurrency=1)
    for instance in instances:
        await _aim(channel, [instance], limit)
        await all_or_fail(channel, "submit", limit, ids=[warmup], concurrency=1, **told)
        await _quiet(instances, limit)
    plan = phases(students, ONE, TWO)
    await onboard_like(session_factory, warmup, [i for _, ids in plan for i in ids])

    modes = {ONE: ModeResult(), TWO: ModeResult()}
    fed = {mode: [0] * len(instances) for mode in modes}
    spent = {mode: [0.0] * len(instances) for mode in modes}
    for mode, ids in plan:
        await _aim(channel, instances if mode == TWO else instances[:1], limit)
        result = modes[mode]
        before = [await instance.ask("cpu", limit=limit) for instance in instances]
        database = DatabaseWindow(session_factory)
        await database.start()
        machine = MachineWindow()
        started = time.perf_counter()
        answer = await channel.ask(
            "submit", limit=limit, ids=ids, concurrency=min(concurrency, len(ids)), **told
        )
        after = await _quiet(instances, limit)
        result.window_seconds += time.perf_counter() - started
        for n, (a, b) in enumerate(zip(before, after, strict=True)):
            result.cpu_seconds += b.cpu_seconds - a.cpu_seconds
            spent[mode][n] += b.cpu_seconds - a.cpu_seconds
            fed[mode][n] += b.updates - a.updates
        busy, so_far = machine.stop(), result.machine_busy_seconds
        result.machine_busy_seconds = None if busy is None or so_far is None else so_far + busy
        served, so_far = await database.stop(), result.database_cpu_seconds
        result.database_cpu_seconds = None if served is None or so_far is None else so_far + served
        await result.add(session_factory, ids, answer)
    return ScalingResult(
        students=students,
        modes=modes,
        instance_ids=[instance.id for instance in instances],
        fed=fed,
        cpu=spent,
        given_up=await given_up(session_factory),
    )


async def _aim(channel: Channel, instances: list[Instance], limit: float) -> None:
    await channel.ask(
        "aim", limit=limit, targets=[instance.url for instance in instances], secret=SECRET
    )


async def _quiet(instances: list[Instance], limit: float) -> list[Usage]:
    """Until every instance handled what it took in and sent what that queued."""
    asked = (instance.ask("quiet", limit=limit) for instance in instances)
    return list(await asyncio.gather(*asked))


class DatabaseWindow:
    """The CPU of the database server's backends serving this database over a window, read
    from /proc where the server runs on this machine (None elsewhere). A lower bound: a backend
    that ends within the window (a pool's overflow connection) is missed."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.started: dict[int, int] | None = None

    async def start(self) -> None:
        self.started = await self._ticks()

    async def stop(self) -> float | None:
        now = await self._ticks()
        if self.started is None or now is None:
            return None
        spent = sum(ticks - self.started.get(pid, 0) for pid, ticks in now.items())
        return spent / os.sysconf("SC_CLK_TCK")

    async def _ticks(self) -> dict[int, int] | None:
        query = text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        async with self.session_factory() as session:
            pids = list(await session.scalars(query))
        ticks = {pid: spent for pid in pids if (spent := cpu_ticks(pid)) is not None}
        return ticks or None

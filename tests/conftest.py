from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.devkit.emulator import BotAPIEmulator
from tests.support import anonymity, redis_lock
from tests.support.officer_helpers import OfficerHarness
from tests.support.proposal_helpers import proposal_harness

IN_CI = os.environ.get("CI", "").lower() == "true"


# The longest tests (tens of seconds each: real bot processes, benchmarks, mypy), longest
# first: xdist hands tests out in this order, and one started last would keep a worker busy
# while the other has nothing left to do.
SLOW_FIRST = (
    "tests/tooling/test_bench_ingest.py",
    "tests/delivery/test_delivery_priority.py::test_a_confirmation_overtakes_a_running_broadcast",
    "tests/tooling/test_codebase.py::test_types_check",
    "tests/delivery/test_delivery_process.py",
    "tests/reliability/test_ingest_crash.py",
    "tests/reliability/test_startup.py",
    "tests/tooling/test_cli.py",
    "tests/tooling/test_webhook_settings.py",
    "tests/reliability/test_fault_random.py",
    "tests/tooling/test_demo.py",
    "tests/tooling/test_bench_delivery.py",
    "tests/reliability/test_ingest_outage.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for at, prefix in enumerate(SLOW_FIRST):
            if item.nodeid == prefix or item.nodeid.startswith((f"{prefix}::", f"{prefix}[")):
                return at
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    return url


@pytest.fixture(autouse=True)
def redis_let_go() -> Iterator[None]:
    """Set up before, and so torn down after, every fixture that used Redis in the test."""
    yield
    redis_lock.release()


@pytest.fixture(autouse=True)
async def no_anonymous_submitter_in_groups() -> AsyncIterator[None]:
    """Every test: what the bots it ran sent to groups and channels names no anonymous
    submitter (`tests.support.anonymity`)."""
    anonymity.WATCHED.clear()
    yield
    await anonymity.check_all()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of this test process's own, so parallel runs never reset each other's."""
    url = _postgres_url()
    if url is None:
        yield None
        return
    base = make_url(url)
    name = f"sv_test_{os.getpid()}"
    admin = base.set(drivername="postgresql")

    def execute(sql: str) -> None:
        import asyncio

        import asyncpg

        async def run() -> None:
            conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(run())

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    if postgres_url is None:
        if IN_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("TEST_DATABASE_URL not set")
    return postgres_url


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    # Telegram drops a button's answer after about 15 s; on a loaded machine a test's press can
    # wait that long for its turn, which is not what any test is about (the fault tests refuse
    # answers on purpose). Five minutes still catches a press that is never answered.
    async with BotAPIEmulator(callback_query_ttl=300.0) as emu:
        yield emu


@pytest.fixture
async def harness(
    emulator: BotAPIEmulator, database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[OfficerHarness]:
    """The bot with an officers' group, set as a `harness` mark says (`channel=True` for the
    public channel, or any of `officer_harness`'s options)."""
    mark = request.node.get_closest_marker("harness")
    async with proposal_harness(emulator, database_url, **(mark.kwargs if mark else {})) as h:
        yield h

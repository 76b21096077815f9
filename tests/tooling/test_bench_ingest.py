"""`studentvoice bench ingest` end to end, tiny: two processes, the real polling path, the real
emulator, both inbox modes; on SQLite and (with TEST_DATABASE_URL) PostgreSQL. And `--instances
2`: one webhook instance and then two, each a process of its own, on PostgreSQL and Redis."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot.devkit.bench.ingest import run_ingest_bench
from bot.devkit.bench.report import percentile
from storage.db import create_engine
from tests.conftest import IN_CI
from tests.support.delivery_helpers import redis_url

REDIS_DB = 6  # a Redis database of this module's own, emptied first

STUDENTS = 4
# A student's seven steps and an officer's three presses on the card.
UPDATES_PER_WALK = 10

KEYS = {
    "students",
    "submissions",
    "updates_per_submission",
    "updates_per_second_durable",
    "updates_per_second_plain",
    "durable_throughput_ratio",
    "submissions_per_second",
    "card_latency_p50_ms",
    "card_latency_p99_ms",
    "peak_rss_mb",
    "cpu_per_update_ms",
    "echo_cpu_per_update_ms",
    "cpu_ratio_vs_echo",
    "cpu_ratio_per_update",
    "house_echo_cpu_per_update_ms",
    "house_echo_ratio",
    "cpu_ratio_vs_house_echo",
    "cpu_per_submission_ms",
    "cpu_ratio",
    "updates_lost",
    "lost",
    "messages_given_up",
}
SCALING_KEYS = {
    "instances",
    "scaling_2x",
    "students",
    "submissions",
    "updates",
    "updates_per_second_one",
    "updates_per_second_two",
    "card_latency_p50_ms_one",
    "card_latency_p50_ms_two",
    "cpu_per_update_ms_one",
    "cpu_per_update_ms_two",
    "echo_cpu_per_update_ms",
    "cpu_ratio_per_update",
    "cpu_ratio_vs_echo",
    "cpu_per_submission_ms",
    "cpu_ratio",
    "machine_busy_cores_one",
    "machine_busy_cores_two",
    "updates_by_instance_one",
    "updates_by_instance_two",
    "updates_lost",
    "lost",
    "messages_given_up",
}


async def _empty(database_url: str) -> None:
    """The bench refuses a used database; earlier tests of this session may have used it."""
    engine = create_engine(database_url)
    try:
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def test_every_update_is_handled_in_both_modes_and_the_figures_add_up(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    await _empty(database_url)

    code = await run_ingest_bench(
        students=STUDENTS,
        concurrency=2,
        as_json=True,
        database_url=database_url,
        echo_updates=20,
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "durable ÷ plain" in out and "CPU ratio" in out
    report = json.loads(out.strip().splitlines()[-1])
    assert KEYS - report.keys() == set()
    # Each mode's students walked once; every update they and the officers made was handled.
    assert report["students"] == STUDENTS
    assert report["submissions"] == 2 * STUDENTS
    assert report["updates"] == 2 * STUDENTS * UPDATES_PER_WALK
    assert report["updates_per_submission"] == UPDATES_PER_WALK
    assert report["updates_lost"] == 0 and report["lost"] == 0
    # Every walk's 转办 sends a letter: each was laid out and sent, none given up.
    assert report["messages_given_up"] == 0
    assert report["failures"] == []

    durable, plain = report["updates_per_second_durable"], report["updates_per_second_plain"]
    assert durable > 0 and plain > 0
    # The rates are printed to 0.1 update/s, the ratio from the unrounded ones.
    low, high = (durable - 0.05) / (plain + 0.05), (durable + 0.05) / (plain - 0.05)
    assert low * 0.99 <= report["durable_throughput_ratio"] <= high * 1.01
    assert report["cpu_per_update_ms"] > 0 and report["echo_cpu_per_update_ms"] > 0
    assert report["cpu_ratio_vs_echo"] == pytest.approx(
        report["cpu_per_update_ms"] / report["echo_cpu_per_update_ms"], rel=0.01
    )
    assert report["cpu_ratio_per_update"] == report["cpu_ratio_vs_echo"]
    # The echo on the house answered every text (or the run would have failed) and costs more
    # than the bare one: it stores, commits and sends through the outbox.
    house = report["house_echo_cpu_per_update_ms"]
    assert house > report["echo_cpu_per_update_ms"]
    assert report["house_echo_ratio"] == pytest.approx(
        house / report["echo_cpu_per_update_ms"], rel=0.01
    )
    assert report["cpu_ratio_vs_house_echo"] == pytest.approx(
        report["cpu_per_update_ms"] / house, rel=0.01
    )
    assert report["cpu_per_submission_ms"] == pytest.approx(
        report["cpu_per_update_ms"] * UPDATES_PER_WALK, rel=0.01
    )
    assert 0 < report["card_latency_p50_ms"] <= report["card_latency_p99_ms"]
    assert 0 < report["card_latency_plain_p50_ms"] <= report["card_latency_plain_p99_ms"]
    assert report["peak_rss_mb"] > 0


async def test_two_instances_take_the_load_between_them_and_lose_nothing(
    capsys: pytest.CaptureFixture[str], postgres_url: str | None
) -> None:
    if postgres_url is None:
        if IN_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("TEST_DATABASE_URL not set")
    redis = await redis_url(REDIS_DB)
    await _empty(postgres_url)

    code = await run_ingest_bench(
        students=STUDENTS,
        concurrency=2,
        as_json=True,
        database_url=postgres_url,
        echo_updates=20,
        instances=2,
        redis_url=redis,
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "two ÷ one" in out
    report = json.loads(out.strip().splitlines()[-1])
    assert SCALING_KEYS - report.keys() == set()
    assert report["instances"] == 2 and len(set(report["instance_ids"])) == 2
    assert report["submissions"] == 2 * STUDENTS
    assert report["updates"] == 2 * STUDENTS * UPDATES_PER_WALK
    assert report["updates_lost"] == 0 and report["lost"] == 0
    # Every walk's 转办 sends a letter: each was laid out and sent, none given up.
    assert report["messages_given_up"] == 0
    assert report["failures"] == []
    # Each update reached one dispatcher once: the second instance took its share with two,
    # and none with one.
    per_mode = STUDENTS * UPDATES_PER_WALK
    one, two = report["updates_by_instance_one"], report["updates_by_instance_two"]
    assert one == [per_mode, 0]
    assert sum(two) == per_mode and min(two) > 0
    rate_one, rate_two = report["updates_per_second_one"], report["updates_per_second_two"]
    assert rate_one > 0 and rate_two > 0
    low, high = (rate_two - 0.05) / (rate_one + 0.05), (rate_two + 0.05) / (rate_one - 0.05)
    assert low * 0.99 <= report["scaling_2x"] <= high * 1.01
    assert report["cpu_ratio_per_update"] == report["cpu_ratio_vs_echo"] > 0


async def test_bad_arguments_are_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_ingest_bench(students=0) == 2
    assert "--students" in capsys.readouterr().err
    # Instances share a database server and Redis, as in production.
    assert await run_ingest_bench(instances=2, redis_url="redis://127.0.0.1:6379/6") == 2
    assert (
        await run_ingest_bench(
            instances=2, database_url="postgresql+asyncpg://postgres@127.0.0.1/x"
        )
        == 2
    )
    assert "--instances 2 needs" in capsys.readouterr().err


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 99) == 5.0
    assert percentile([7.0], 99) == 7.0

"""`studentvoice bench ingest`: simulated students submit cases and officers act on the cards,
through the real polling path, with the inbox durable and without; what it costs the bot.

Two processes. This one runs the bots — a bare aiogram echo bot as the baseline, half before
and half after StudentVoice itself — and measures its own CPU and memory. A spawned one runs
the Bot API emulators and the simulated people, whose work must not be charged to the bots.
With ``instances=2`` StudentVoice runs in processes of its own instead, one and then two of
them, on PostgreSQL and Redis (`bot.devkit.bench.scaling`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from bot.app.runtime import freeze_startup_heap
from bot.devkit.bench.channel import BenchError
from bot.devkit.bench.echo import measure_echo
from bot.devkit.bench.house import measure_house_echo
from bot.devkit.bench.meter import peak_rss_mb
from bot.devkit.bench.report import Report, ScalingReport
from bot.devkit.bench.scaling import measure_scaling
from bot.devkit.bench.submissions import measure_submissions
from bot.devkit.bench.world import spawned_world

EXIT_OK, EXIT_LOST, EXIT_USAGE = 0, 1, 2
START_LIMIT = 60.0


def phase_limit(students: int) -> float:
    """Generous: a phase that exceeds it is stuck, not slow."""
    return 60.0 + students


async def run_ingest_bench(
    *,
    students: int = 200,
    concurrency: int = 20,
    as_json: bool = False,
    database_url: str | None = None,
    echo_updates: int | None = None,
    instances: int = 1,
    redis_url: str | None = None,
) -> int:
    """Prints the table (and with ``as_json`` one JSON object as the last line); 0 when every
    update was handled and every submission got its card, 1 when some were lost or the run
    failed, 2 on bad arguments. ``students`` walk in each of the two modes: the durable inbox
    and the plain one, or with ``instances=2`` one instance and two."""
    refusal = _refusal(students, concurrency, echo_updates, instances, database_url, redis_url)
    if refusal:
        print(f"bench ingest: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = await _run(
            students=students,
            concurrency=min(concurrency, students),
            database_url=database_url,
            echo_updates=echo_updates or max(100, 5 * students),
            redis_url=redis_url if instances == 2 else None,
        )
    except BenchError as exc:
        print(f"bench ingest: {exc}", file=sys.stderr)
        return EXIT_LOST
    figures = report.as_dict()
    print(report.table())
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    whole = figures["submissions"] == 2 * students and not figures["lost"]
    kept = not figures["updates_lost"] and not figures["messages_given_up"]
    return EXIT_OK if whole and kept else EXIT_LOST


def _refusal(
    students: int,
    concurrency: int,
    echo_updates: int | None,
    instances: int,
    database_url: str | None,
    redis_url: str | None,
) -> str | None:
    if students < 1 or concurrency < 1 or (echo_updates is not None and echo_updates < 2):
        return "--students and --concurrency must be ≥ 1, echo updates ≥ 2"
    if instances not in (1, 2):
        return "--instances is 1 or 2"
    if redis_url and instances != 2:
        return "--redis-url goes with --instances 2"
    if instances == 2:
        backend = make_url(database_url).get_backend_name() if database_url else None
        if backend != "postgresql" or not redis_url:
            # Instances share the database and the conversation states, as in production.
            return "--instances 2 needs --database-url postgresql+asyncpg://… and --redis-url"
    return None


async def _run(
    *,
    students: int,
    concurrency: int,
    database_url: str | None,
    echo_updates: int,
    redis_url: str | None,
) -> Report | ScalingReport:
    limit = phase_limit(students)
    with tempfile.TemporaryDirectory(prefix="studentvoice-bench-") as workdir:
        url = database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        async with spawned_world(START_LIMIT) as (channel, addresses):
            # What is loaded by now stays out of the collector's full passes, as StudentVoice's
            # startup heap will: otherwise the echo bot pays for walking this process's modules
            # (which a bare echo bot would not have) before the freeze and not after.
            freeze_startup_heap()
            # Half the baseline before the submissions and half after: a change in what else
            # the machine is doing then weighs on both sides of the ratio alike.
            before = await measure_echo(
                channel,
                addresses["echo_url"],
                updates=echo_updates // 2,
                people=concurrency,
                limit=limit,
            )
            if redis_url is not None:
                scaling = await measure_scaling(
                    channel,
                    addresses["app_url"],
                    url,
                    redis_url,
                    students=students,
                    concurrency=concurrency,
                    limit=limit,
                )
            else:
                house = await measure_house_echo(
                    channel,
                    addresses["echo_url"],
                    Path(workdir),
                    updates=echo_updates // 2,
                    people=concurrency,
                    limit=limit,
                )
                run = await measure_submissions(
                    channel,
                    addresses["app_url"],
                    url,
                    students=students,
                    concurrency=concurrency,
                    limit=limit,
                )
            after = await measure_echo(
                channel,
                addresses["echo_url"],
                updates=echo_updates - echo_updates // 2,
                people=concurrency,
                limit=limit,
            )
    database = "SQLite (fresh temp file)" if database_url is None else _describe(database_url)
    if redis_url is not None:
        return ScalingReport(
            concurrency=concurrency,
            database=database,
            redis=_describe_redis(redis_url),
            echo=(before, after),
            run=scaling,
            cores=os.cpu_count(),
            load_average=_load_average(),
        )
    return Report(
        concurrency=concurrency,
        database=database,
        database_in_process=make_url(url).get_backend_name() == "sqlite",
        echo=(before, after),
        house=house,
        run=run,
        peak_rss_mb=peak_rss_mb(),
        notice_after=run.notice_after,
        load_average=_load_average(),
    )


def _load_average() -> tuple[float, float, float] | None:
    """Others share the machine: what they were doing meanwhile goes with the figures."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def _describe(url: str) -> str:
    """The backend and database name, never the credentials."""
    parsed = make_url(url)
    return f"{parsed.get_backend_name()} ({parsed.database or parsed.host or 'default'})"


def _describe_redis(url: str) -> str:
    parsed = urlparse(url)
    return f"redis (db {parsed.path.strip('/') or '0'})"

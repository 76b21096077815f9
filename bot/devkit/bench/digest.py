"""`studentvoice bench digest`: the weekly digest over a two-year history of 100,000 cases.

A spawned process creates the history; this one then makes the digest of the last complete
week as the bot would (SQL figures, chart, HTML report, summary) and reports the time and the
memory it took beyond what the process held before. Module imports, the font's one-time
registration and the pool's first connection happen before the clock starts: a running bot has
paid them already.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.devkit.bench.history import seed_in_process
from bot.devkit.bench.meter import current_rss_mb, peak_rss_mb

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A digest of 100,000 cases on a small server: half a second where the database is a file
# beside the bot, a second where it is a PostgreSQL server (a round trip per statement).
TARGET_SECONDS = {"sqlite": 0.5, "postgresql": 1.0}
TARGET_MB = 100.0


class BenchRefused(Exception):
    """The run cannot start (a database that is not empty); the message says why."""


@dataclass
class DigestBench:
    dialect: str
    cases: int
    events: int
    followers: int
    seed_seconds: float
    period: str
    digest_seconds: float
    digest_cpu_seconds: float
    sql_seconds: float
    chart_seconds: float
    report_seconds: float
    first_chart_seconds: float
    peak_extra_mb: float
    semester_seconds: float
    new_in_week: int
    within_target: bool
    target_seconds: float
    target_mb: float

    def table(self) -> str:
        return "\n".join(
            [
                f"history: {self.cases:,} cases, {self.events:,} events, "
                f"{self.followers:,} followers "
                f"({self.dialect}, seeded in {self.seed_seconds:.1f} s)",
                f"digest of {self.period} ({self.new_in_week} new cases):",
                f"  total            {self.digest_seconds * 1000:8.0f} ms"
                f"   (target < {self.target_seconds * 1000:.0f} ms)",
                f"  CPU time         {self.digest_cpu_seconds * 1000:8.0f} ms"
                "   (this process, all threads: less swayed by a busy machine)",
                f"    SQL figures    {self.sql_seconds * 1000:8.0f} ms",
                f"    chart          {self.chart_seconds * 1000:8.0f} ms",
                f"    report, text   {self.report_seconds * 1000:8.0f} ms",
                f"  peak memory      {self.peak_extra_mb:8.1f} MB extra"
                f"   (target < {self.target_mb:.0f} MB)",
                f"semester digest    {self.semester_seconds * 1000:8.0f} ms (figures and chart)",
                f"first chart of a process {self.first_chart_seconds * 1000:.0f} ms "
                "(matplotlib import and font, once; not in the total)",
                "within target" if self.within_target else "OVER TARGET",
            ]
        )


class PeakSampler:
    """The resident set's high-water mark over a stretch of code, sampled every 2 ms."""

    def __init__(self) -> None:
        self.peak = current_rss_mb() or 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, current_rss_mb() or 0.0)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss_mb() or 0.0)


async def run_digest_bench(
    *, cases: int = 100_000, as_json: bool = False, database_url: str | None = None
) -> int:
    if cases < 100:
        print("bench digest: --cases must be at least 100", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="sv-bench-digest-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'digest.db'}"
        try:
            result = await _run(url, cases)
        except BenchRefused as exc:
            print(f"bench digest: {exc}", file=sys.stderr)
            return EXIT_USAGE
    print(result.table())
    if as_json:
        print(json.dumps(asdict(result), ensure_ascii=False))
    return EXIT_OK if result.within_target else EXIT_FAILED


async def _run(url: str, n: int) -> DigestBench:
    from bot.app.runtime import build_app, freeze_startup_heap
    from bot.core.config import load_settings
    from bot.digest.build import chart_data
    from bot.digest.chart import ChartData, cjk_family, render_chart
    from bot.digest.figures import collect
    from bot.digest.periods import parse_period
    from bot.digest.render import render_report, render_summary
    from bot.digest.schedule import last_slot, period_of_slot
    from storage.models import User
    from storage.types import utcnow

    now = utcnow()
    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue()
    started = time.perf_counter()
    seeder = context.Process(target=seed_in_process, args=(url, n, now.isoformat(), queue))
    seeder.start()
    counts = await asyncio.to_thread(queue.get)
    await asyncio.to_thread(seeder.join)
    if "error" in counts:
        raise BenchRefused(counts["error"])
    seed_seconds = time.perf_counter() - started

    settings = load_settings(
        bot_token="0:bench", database_url=url, scheduler_enabled=False, _env_file=None
    )
    app = build_app(settings)
    freeze_startup_heap()  # as `studentvoice run` does once started
    services, tz, locale = app.services, settings.tz, app.services.group_locale
    renderer = services.renderer
    # The first chart of a process imports matplotlib and reads the font (about a second);
    # a running bot has done that once for good, so it is measured apart.
    first = time.perf_counter()
    cjk_family()
    render_chart(
        ChartData(
            title="预热 warm-up",
            trend_title="趋势",
            trend_labels=["11-16"],
            trend_new=[1],
            trend_answered=[1],
            new_label="新增",
            answered_label="答复",
            categories_title="类别",
            categories=[("其他", 1, 0)],
            before_label="上周",
            empty_label="无",
        )
    )
    first_chart_seconds = time.perf_counter() - first
    # Opens the pool's connection and does the ORM's first-use setup, as any update has in a
    # running bot; it reads no case.
    async with app.session_factory() as session:
        await session.get(User, 0)
    slot = last_slot(now, weekday=0, at=settings.reminder_time, tz=tz)
    period = period_of_slot(slot, tz)
    try:
        baseline = current_rss_mb() or peak_rss_mb()
        with PeakSampler() as sampler:
            t0, cpu0 = time.perf_counter(), time.process_time()
            async with app.session_factory() as session:
                digest = await collect(
                    session=session, org=services.org, tz=tz, period=period, now=now
                )
            t1 = time.perf_counter()
            png = render_chart(chart_data(services, locale, digest, "bench"))
            t2 = time.perf_counter()
            render_report(
                renderer, locale, digest, chart_png=png, organisation="bench", generated=now
            )
            render_summary(renderer, locale, digest)
            t3, cpu3 = time.perf_counter(), time.process_time()
        semester = parse_period(_semester_code(now.astimezone(tz).date()))
        s0 = time.perf_counter()
        async with app.session_factory() as session:
            whole = await collect(
                session=session,
                org=services.org,
                tz=tz,
                period=semester,
                now=now,
                so_far=semester.bounds(tz)[1] > now,
            )
        render_chart(chart_data(services, locale, whole, "bench"))
        semester_seconds = time.perf_counter() - s0
    finally:
        await app.bot.session.close()
        await app.engine.dispose()
    extra = max(0.0, sampler.peak - baseline)
    dialect = app.engine.dialect.name
    return DigestBench(
        dialect=dialect,
        cases=counts["cases"],
        events=counts["events"],
        followers=counts["followers"],
        seed_seconds=round(seed_seconds, 2),
        period=period.code,
        digest_seconds=round(t3 - t0, 4),
        digest_cpu_seconds=round(cpu3 - cpu0, 4),
        sql_seconds=round(t1 - t0, 4),
        chart_seconds=round(t2 - t1, 4),
        report_seconds=round(t3 - t2, 4),
        first_chart_seconds=round(first_chart_seconds, 3),
        peak_extra_mb=round(extra, 1),
        semester_seconds=round(semester_seconds, 4),
        new_in_week=digest.new.now,
        within_target=(t3 - t0) < TARGET_SECONDS[dialect] and extra < TARGET_MB,
        target_seconds=TARGET_SECONDS[dialect],
        target_mb=TARGET_MB,
    )


def _semester_code(day: Any) -> str:
    if day.month >= 9:
        return f"{day.year}-fall"
    if day.month == 1:
        return f"{day.year - 1}-fall"
    return f"{day.year}-spring"

"""StudentVoice under load: the real app, polling the world's emulator, measured in this process.

Before the window: one warm-up student is onboarded and submits through the real dialogue, and
the measured students are onboarded like it (``bot.bench.seed``). The window is their complete
submissions (/new … ✅) until every card was requested and every student was told their number.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from bot.app import App, bind_configured_chats, build_app, running
from bot.bench.channel import BenchError, Channel
from bot.bench.meter import CpuWindow, current_rss_mb, peak_rss_mb
from bot.bench.recorder import Recorder
from bot.bench.seed import onboard_like, require_empty
from bot.bench.world import ADMIN_ID, OFFICERS_CHAT, STUDENT_ID_BASE
from bot.config import DEFAULT_ORG_FILE, Settings
from bot.scenario import CASE_NUMBER
from storage.crud.outbox import PENDING, SENDING
from storage.migrate import upgrade
from storage.models import Case, OutboxMessage

TOKEN = "123456:BENCH-INGEST"
NUMBER = CASE_NUMBER.pattern
# Once the students are done, a missing card is lost rather than late after this long.
CARD_GRACE = 10.0


@dataclass
class SubmissionResult:
    students: int
    submissions: int
    updates: int
    window_seconds: float
    cpu_seconds: float
    latencies: list[float]
    lost: int
    rss_at_start_mb: float | None
    peak_rss_mb: float
    world_cpu_seconds: float
    failures: list[str] = field(default_factory=list)


def bench_settings(base_url: str, database_url: str) -> Settings:
    """Everything the run depends on is pinned, so a deployment's environment cannot leak in."""
    return Settings(
        bot_token=TOKEN,
        telegram_api_base=base_url,
        database_url=database_url,
        redis_url=None,
        admin_ids=[ADMIN_ID],
        officers_chat_id=OFFICERS_CHAT,
        committee_chat_id=None,
        sensitive_chat_id=None,
        organisation_file=DEFAULT_ORG_FILE,
        # The bot's own cost is measured here, against an emulator without Telegram's limits;
        # those are `bench delivery`'s subject (at 20 a minute the cards would be listed).
        delivery_global_per_second=100_000,
        delivery_chat_per_second=10_000,
        delivery_chat_burst=1_000,
        delivery_group_per_minute=1_000_000,
        _env_file=None,
    )


async def measure_submissions(
    channel: Channel,
    base_url: str,
    database_url: str,
    *,
    students: int,
    concurrency: int,
    limit: float,
) -> SubmissionResult:
    recorder = Recorder()
    app = build_app(bench_settings(base_url, database_url), probe=recorder)
    try:
        try:
            await upgrade(app.engine)
        except (OSError, SQLAlchemyError) as exc:
            raise BenchError(f"cannot prepare the database: {exc}") from exc
        await require_empty(app.session_factory)
        await bind_configured_chats(app)
        with recorder.attached(app.dispatcher):
            async with _polling(app), running(app):
                return await _measure(app, channel, recorder, students, concurrency, limit)
    finally:
        await app.bot.session.close()
        await app.engine.dispose()


async def _measure(
    app: App,
    channel: Channel,
    recorder: Recorder,
    students: int,
    concurrency: int,
    limit: float,
) -> SubmissionResult:
    warmup = STUDENT_ID_BASE
    measured = [warmup + n for n in range(1, students + 1)]
    await _all_or_fail(channel, "onboard", limit, ids=[warmup], concurrency=1)
    await _all_or_fail(channel, "submit", limit, ids=[warmup], concurrency=1, number=NUMBER)
    await _outbox_drained(app, limit)
    await onboard_like(app.session_factory, warmup, measured)

    rss_at_start = current_rss_mb()
    recorder.open(expected=students)
    window = CpuWindow()
    started = time.perf_counter()
    answer = await channel.ask(
        "submit", limit=limit, ids=measured, concurrency=concurrency, number=NUMBER
    )
    await recorder.all_cards(CARD_GRACE if answer["failed"] else limit)
    cpu_seconds = window.stop()
    ended = time.perf_counter()
    recorder.close()
    peak = peak_rss_mb()

    # Only the count of published cards needs the tail of the queue; it is not measured.
    await _outbox_drained(app, CARD_GRACE)
    published = await _published_cards(app, list(recorder.arrivals))
    first = recorder.first_arrival if recorder.first_arrival is not None else started
    last = max(recorder.cards.values(), default=ended)
    return SubmissionResult(
        students=students,
        submissions=len(recorder.arrivals),
        updates=recorder.updates,
        window_seconds=last - first,
        cpu_seconds=cpu_seconds,
        latencies=recorder.latencies(),
        lost=students - published,
        rss_at_start_mb=rss_at_start,
        peak_rss_mb=peak,
        world_cpu_seconds=float(answer["world_cpu_seconds"]),
        failures=list(answer["failures"]),
    )


async def _all_or_fail(channel: Channel, command: str, limit: float, **body: Any) -> None:
    answer = await channel.ask(command, limit=limit, **body)
    if answer["failed"]:
        raise BenchError(f"{command}: {answer['failed']} student(s) failed: {answer['failures']}")


@contextlib.asynccontextmanager
async def _polling(app: App) -> AsyncIterator[None]:
    task = asyncio.create_task(
        app.dispatcher.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        yield
    finally:
        with contextlib.suppress(RuntimeError):
            await app.dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


async def _outbox_drained(app: App, limit: float) -> None:
    unsent = select(func.count()).where(col(OutboxMessage.status).in_([PENDING, SENDING]))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            while True:
                async with app.session_factory() as session:
                    if not await session.scalar(unsent):
                        return
                await asyncio.sleep(0.02)


async def _published_cards(app: App, case_ids: list[int]) -> int:
    if not case_ids:
        return 0
    query = select(func.count()).where(
        col(Case.id).in_(case_ids), col(Case.card_message_id).is_not(None)
    )
    async with app.session_factory() as session:
        return int(await session.scalar(query) or 0)

"""StudentVoice under load: the real app, polling the world's emulator, measured in this process.

Onboarding and one warm-up submission happen before the window opens; the window is the
students' complete submissions (/new … ✅) until every card was requested and every student
was told their case number.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import col

from bot.app import App, bind_configured_chats, build_app, running
from bot.bench.channel import BenchError, Channel
from bot.bench.meter import CpuWindow, current_rss_mb, peak_rss_mb
from bot.bench.recorder import Recorder
from bot.bench.world import ADMIN_ID, OFFICERS_CHAT, STUDENT_ID_BASE
from bot.config import DEFAULT_ORG_FILE, Settings
from storage.crud.outbox import PENDING, SENDING
from storage.migrate import upgrade
from storage.models import Case, OutboxMessage, ProcessedUpdate, User

TOKEN = "123456:BENCH-INGEST"
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
        await upgrade(app.engine)
        await _require_empty(app)
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
    ids = [STUDENT_ID_BASE + n for n in range(students + 1)]
    warmup, measured = ids[:1], ids[1:]
    await _all_or_fail(channel, "onboard", ids, concurrency, limit)
    await _all_or_fail(channel, "submit", warmup, 1, limit)
    await _outbox_drained(app, limit)

    rss_at_start = current_rss_mb()
    recorder.open(expected=students)
    window = CpuWindow()
    started = time.perf_counter()
    answer = await channel.ask("submit", limit=limit, ids=measured, concurrency=concurrency)
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
        failures=list(answer["failures"]),
    )


async def _all_or_fail(
    channel: Channel,
    command: str,
    ids: list[int],
    concurrency: int,
    limit: float,
) -> None:
    answer = await channel.ask(command, limit=limit, ids=ids, concurrency=concurrency)
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


async def _require_empty(app: App) -> None:
    """The world's update and user ids start from the same numbers every run; in a used
    database the bot would take the updates for redeliveries and the students for old users."""
    async with app.session_factory() as session:
        updates = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        users = await session.scalar(select(func.count()).select_from(User))
    if updates or users:
        raise BenchError(
            f"the database already holds {updates} update(s) and {users} user(s); "
            "the bench needs an empty one"
        )


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

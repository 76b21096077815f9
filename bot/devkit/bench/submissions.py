"""StudentVoice under load: the real app polling the world's emulator, measured in this process.

Updates come in by the production path, assembled from `bot.app.runtime.run_polling`'s pieces: the
`Poller` (getUpdates; the next offset only once the batch is accepted), the `Inbox`, the
processor's lanes, the dispatcher, the outbox and the delivery worker. The inbox is what the two
modes differ in: *durable* (each getUpdates batch stored before the offset moves on: production)
and *plain* (`Inbox(durable=False)`: straight to the processor).

Before the windows: a warm-up student is onboarded by the dialogue and walks once in each mode,
and the measured students are onboarded like it (``bot.devkit.bench.seed``). A window is one
phase of walks — a student's submission and an officer's presses on its card — until every walk
ended, the processor is idle and the outbox drained. The phases go durable, plain, plain, durable,
so a drift (the database growing, the machine's other load) weighs on both modes alike.
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.app.runtime import (
    App,
    build_app,
    close,
    freeze_startup_heap,
    running,
    start_up,
)
from bot.core.config import DEFAULT_ORG_FILE, Settings
from bot.core.i18n import locale_for
from bot.devkit.bench.channel import BenchError, Channel
from bot.devkit.bench.meter import CpuWindow, current_rss_mb, peak_rss_mb
from bot.devkit.bench.seed import grant_officers, onboard_like, require_empty
from bot.devkit.bench.world import (
    ADMIN_ID,
    OFFICER_IDS,
    OFFICERS_CHAT,
    STUDENT_ID_BASE,
    STUDENT_LANGUAGE,
)
from bot.devkit.scenario import CASE_NUMBER
from bot.ingest.inbox import Inbox
from bot.ingest.polling import Poller
from storage.crud.outbox import FAILED
from storage.migrate import upgrade
from storage.models import Case, OutboxMessage, ProcessedUpdate

TOKEN = "123456:BENCH-INGEST"
NUMBER = CASE_NUMBER.pattern
NOTICE = "system/received.html"
DURABLE, PLAIN = "durable", "plain"

# One key for every instance of a run: they share the conversations sealed in Redis. A bench's
# database holds no real person, so the key is no secret.
BENCH_IDENTITY_KEY = "blGdPBeGb81j-SJ_SXNqmhYTADYrBNyrFzWMs6nuRbk="


@dataclass
class ModeResult:
    """One mode's phases added up."""

    students: int = 0
    submissions: int = 0
    sent: int = 0
    handled: int = 0
    published: int = 0
    window_seconds: float = 0.0
    # The bot's process and what its document process spent laying out letters in the window.
    cpu_seconds: float = 0.0
    document_cpu_seconds: float = 0.0
    world_cpu_seconds: float = 0.0
    notices: int = 0
    refused: int = 0
    # The whole machine's busy core-seconds in the windows (`--instances`; None unknown).
    machine_busy_seconds: float | None = 0.0
    # The database server's backends for this database (`--instances`; None unknown).
    database_cpu_seconds: float | None = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def updates_lost(self) -> int:
        return self.sent - self.handled

    @property
    def cards_lost(self) -> int:
        return self.students - self.published

    async def add(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        ids: list[int],
        answer: dict[str, Any],
    ) -> None:
        """A phase's walks, as the world answered them and the database recorded them."""
        first, end = answer["updates"]
        self.students += len(ids)
        self.submissions += len(answer["latencies"])
        self.sent += end - first
        self.handled += await _handled(session_factory, first, end)
        self.published += await _published_cards(session_factory, ids)
        self.latencies += answer["latencies"]
        self.world_cpu_seconds += float(answer["world_cpu_seconds"])
        self.notices += int(answer["notices"])
        self.refused += int(answer.get("refused", 0))
        self.failures += answer["failures"]


@dataclass
class SubmissionResult:
    students: int
    modes: dict[str, ModeResult]
    rss_at_start_mb: float | None
    peak_rss_mb: float
    notice_after: float
    given_up: int


def bench_settings(base_url: str, database_url: str, **overrides: Any) -> Settings:
    """Everything the run depends on is pinned, so a deployment's environment cannot leak in
    (``overrides``: what `--instances` adds, Redis and the webhook)."""
    values: dict[str, Any] = {"redis_url": None, **overrides}
    return Settings(
        bot_token=TOKEN,
        telegram_api_base=base_url,
        database_url=database_url,
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
        identity_key=BENCH_IDENTITY_KEY,
        _env_file=None,
        **values,
    )


def phases(students: int, first: str = DURABLE, second: str = PLAIN) -> list[tuple[str, list[int]]]:
    """Each mode's students in two halves, ordered first, second, second, first; nobody walks
    twice, so every phase starts from people the bot knows only from onboarding."""
    half, rest = students // 2, students - students // 2
    sizes = [(first, half), (second, rest), (second, half), (first, rest)]
    plan, next_id = [], STUDENT_ID_BASE + 1
    for mode, size in sizes:
        if size:
            plan.append((mode, list(range(next_id, next_id + size))))
            next_id += size
    return plan


async def measure_submissions(
    channel: Channel,
    base_url: str,
    database_url: str,
    *,
    students: int,
    concurrency: int,
    limit: float,
) -> SubmissionResult:
    app = build_app(bench_settings(base_url, database_url))
    try:
        try:
            await upgrade(app.engine)
        except (OSError, SQLAlchemyError) as exc:
            raise BenchError(f"cannot prepare the database: {exc}") from exc
        await require_empty(app.session_factory)
        await start_up(app)
        await grant_officers(app.session_factory, list(OFFICER_IDS), granted_by=ADMIN_ID)
        freeze_startup_heap()
        inboxes = {
            DURABLE: app.inbox,
            PLAIN: Inbox(app.session_factory, app.processor, app.inbox.notice, durable=False),
        }
        poller = Poller(app.bot, app.inbox, app.dispatcher.resolve_used_update_types())
        async with running(app), polling(app, poller):
            return await _measure(app, channel, poller, inboxes, students, concurrency, limit)
    finally:
        await close(app)


@contextlib.asynccontextmanager
async def polling(app: App, poller: Poller) -> AsyncIterator[None]:
    """As `run_polling`: what an earlier run stored first, then polling; on the way out the
    poller stops and the processor finishes what it holds."""
    await app.inbox.recover()
    task = asyncio.create_task(poller.run(), name="polling")
    try:
        yield
    finally:
        poller.stop()
        await task
        await app.processor.stop(app.settings.shutdown_grace_seconds)


async def _measure(
    app: App,
    channel: Channel,
    poller: Poller,
    inboxes: dict[str, Inbox],
    students: int,
    concurrency: int,
    limit: float,
) -> SubmissionResult:
    warmup = STUDENT_ID_BASE
    await all_or_fail(channel, "onboard", limit, ids=[warmup], concurrency=1)
    plan = phases(students)
    for inbox in inboxes.values():
        poller.inbox = inbox
        await all_or_fail(channel, "submit", limit, ids=[warmup], concurrency=1, **told(app))
        await quiet(app, limit)
    await onboard_like(app.session_factory, warmup, [i for _, ids in plan for i in ids])

    rss_at_start = current_rss_mb()
    modes = {DURABLE: ModeResult(), PLAIN: ModeResult()}
    for mode, ids in plan:
        poller.inbox = inboxes[mode]
        await _phase(app, channel, modes[mode], ids, concurrency, limit)
    return SubmissionResult(
        students=students,
        modes=modes,
        rss_at_start_mb=rss_at_start,
        peak_rss_mb=peak_rss_mb(),
        notice_after=app.settings.inbox_notice_seconds,
        given_up=await given_up(app.session_factory),
    )


async def _phase(
    app: App, channel: Channel, result: ModeResult, ids: list[int], concurrency: int, limit: float
) -> None:
    window = CpuWindow()
    documents = app.worker.documents
    documents_before = documents.cpu_seconds
    started = time.perf_counter()
    answer = await channel.ask(
        "submit", limit=limit, ids=ids, concurrency=min(concurrency, len(ids)), **told(app)
    )
    await quiet(app, limit)
    laid_out = documents.cpu_seconds - documents_before
    result.cpu_seconds += window.stop() + laid_out
    result.document_cpu_seconds += laid_out
    result.window_seconds += time.perf_counter() - started
    await result.add(app.session_factory, ids, answer)


def told(app: App) -> dict[str, str]:
    """What the world must recognise: case numbers, and the notice to people kept waiting."""
    locale = locale_for(None, STUDENT_LANGUAGE)
    return {"number": NUMBER, "notice": app.services.renderer.render(locale, NOTICE)}


async def all_or_fail(channel: Channel, command: str, limit: float, **body: Any) -> None:
    answer = await channel.ask(command, limit=limit, **body)
    if answer["failed"]:
        raise BenchError(f"{command}: {answer['failed']} student(s) failed: {answer['failures']}")


async def quiet(app: App, limit: float) -> None:
    """Until every update taken in was handled and everything it queued was sent."""
    try:
        async with asyncio.timeout(limit):
            await app.processor.idle()
    except TimeoutError:
        raise BenchError(f"updates were still being handled after {limit:.0f}s") from None
    with contextlib.suppress(TimeoutError):
        # What is left unsent shows as a lost card.
        await app.worker.drain(limit)


async def _handled(session_factory: async_sessionmaker[AsyncSession], first: int, end: int) -> int:
    """How many of the updates numbered first … end - 1 the bot recorded as handled."""
    query = select(func.count()).where(
        col(ProcessedUpdate.update_id) >= first, col(ProcessedUpdate.update_id) < end
    )
    async with session_factory() as session:
        return int(await session.scalar(query) or 0)


async def given_up(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Messages the outbox gave up on: a letter that could not be laid out, a chat that
    refused. A walk can end well for the student while its letter never left."""
    query = select(func.count()).where(col(OutboxMessage.status) == FAILED)
    async with session_factory() as session:
        return int(await session.scalar(query) or 0)


async def _published_cards(
    session_factory: async_sessionmaker[AsyncSession], student_ids: list[int]
) -> int:
    query = select(func.count()).where(
        col(Case.submitter_id).in_(student_ids), col(Case.card_message_id).is_not(None)
    )
    async with session_factory() as session:
        return int(await session.scalar(query) or 0)

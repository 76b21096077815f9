"""`studentvoice bench delivery`: a broadcast to a case's followers, within Telegram's limits.

Telegram's limits, scaled up by the same factor on both sides (the emulator enforces them with
429s, the bot is configured with them) so a run takes seconds rather than minutes. The bot runs
here on a fresh SQLite file; the emulator in a process of its own.

1. Idle: interactive messages (as an acknowledgement of something a student just did), one at
   a time, each timed from the start of the transaction that queues it to its arrival at the
   emulator.
2. Broadcast: one case with N followers; their notification is queued in one transaction, and
   timed to the arrival of the last one.
3. Another broadcast to them, and meanwhile the same interactive messages again. (Timing the
   first broadcast alone keeps the interactive messages' share of the global limit out of its
   ratio.)

Figures: broadcast time over its theoretical minimum N / limit (target ≤ 1.03), 429s received
(target 0), interactive p99 during the broadcast over p99 when idle (target ≤ 1.2), messages
lost (must be 0).
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.app.runtime import App, build_app, freeze_startup_heap, running
from bot.core.config import DEFAULT_ORG_FILE, Settings
from bot.core.sealing import new_key
from bot.delivery import notify
from bot.devkit.bench.channel import BenchError, Channel
from bot.devkit.bench.delivery_world import spawned_telegram
from bot.devkit.bench.report import percentile
from bot.devkit.bench.seed import require_empty
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.migrate import upgrade
from storage.models import Case, User
from storage.types import utcnow

TOKEN = "123456:BENCH-DELIVERY"
TELEGRAM_RATE = 30.0
SUBMITTER = 40_000_000
FOLLOWER_BASE = 41_000_000
INTERACTIVE_BASE = 49_000_000
WARMUP = 5
IDLE_GAP = 0.05
POLL = 0.5
EXIT_OK, EXIT_LOST, EXIT_USAGE = 0, 1, 2
# The targets ("Fast on a small server").
RATIO_TARGET, LATENCY_TARGET = 1.03, 1.2


@dataclass(frozen=True)
class DeliveryReport:
    messages: int
    rate: float
    enqueue_ms: float
    broadcast_seconds: float
    ratio: float
    rejected: int
    idle_p99_ms: float
    busy_p99_ms: float
    latency_ratio: float
    lost: int
    duplicates: int

    def table(self) -> str:
        minimum = self.messages / self.rate
        return "\n".join(
            [
                f"delivery bench: limits ×{self.rate / TELEGRAM_RATE:g} of Telegram's "
                f"({self.rate:g} messages/s in all), strict emulator",
                f"broadcast of {self.messages} queued in one transaction: {self.enqueue_ms:.0f} ms",
                f"broadcast time        {self.broadcast_seconds:8.2f} s   "
                f"(minimum {minimum:.2f} s)   ratio {self.ratio:.3f}  (target ≤ {RATIO_TARGET})",
                f"429s received         {self.rejected:8d}     (target 0)",
                f"interactive p99 idle  {self.idle_p99_ms:8.1f} ms",
                f"interactive p99 busy  {self.busy_p99_ms:8.1f} ms   "
                f"ratio {self.latency_ratio:.2f}  (target ≤ {LATENCY_TARGET})",
                f"lost messages         {self.lost:8d}     (must be 0)"
                + (f"; {self.duplicates} duplicate(s)" if self.duplicates else ""),
            ]
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "global_rate": self.rate,
            "enqueue_ms": round(self.enqueue_ms, 1),
            "broadcast_seconds": round(self.broadcast_seconds, 3),
            "broadcast_ratio_vs_minimum": round(self.ratio, 4),
            "responses_429": self.rejected,
            # The same two figures under their first names, which earlier results use.
            "broadcast_ratio": round(self.ratio, 4),
            "rejected_429": self.rejected,
            "interactive_p99_idle_ms": round(self.idle_p99_ms, 2),
            "interactive_p99_busy_ms": round(self.busy_p99_ms, 2),
            "interactive_p99_ratio": round(self.latency_ratio, 3),
            "lost": self.lost,
            "duplicates": self.duplicates,
        }


def scaled_limits(rate: float) -> dict[str, float]:
    scale = rate / TELEGRAM_RATE
    return {
        "global_per_second": rate,
        "chat_per_second": 1.0 * scale,
        "chat_burst": 3,
        "group_per_minute": 20.0 * scale,
    }


async def run_delivery_bench(
    *,
    messages: int = 1500,
    rate: float = 100.0,
    interactive: int = 100,
    as_json: bool = False,
    database_url: str | None = None,
) -> int:
    if messages < 1 or rate <= 0 or interactive < 1:
        print("bench delivery: --messages, --rate and --interactive must be > 0", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = await _run(messages, rate, interactive, database_url)
    except BenchError as exc:
        print(f"bench delivery: {exc}", file=sys.stderr)
        return EXIT_LOST
    print(report.table())
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    return EXIT_OK if report.lost == 0 else EXIT_LOST


async def _run(
    messages: int, rate: float, interactive: int, database_url: str | None
) -> DeliveryReport:
    limits = scaled_limits(rate)
    followers = [FOLLOWER_BASE + n for n in range(messages)]
    talkers = [INTERACTIVE_BASE + n for n in range(2 * interactive + WARMUP)]
    limit = 60 + 3 * messages / rate
    with tempfile.TemporaryDirectory(prefix="studentvoice-bench-") as workdir:
        url = database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        users = [SUBMITTER, *followers, *talkers]
        async with spawned_telegram(60, limits=limits, users=users) as (channel, base_url):
            app = build_app(_settings(base_url, url, limits))
            try:
                await upgrade(app.engine)
                await require_empty(app.session_factory)
                case_id = await _seed(app, followers, talkers)
                freeze_startup_heap()  # as `studentvoice run` does once started
                async with running(app):
                    return await _measure(app, channel, case_id, messages, talkers, rate, limit)
            finally:
                await app.bot.session.close()
                await app.engine.dispose()


def _settings(base_url: str, database_url: str, limits: dict[str, float]) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_base=base_url,
        database_url=database_url,
        redis_url=None,
        organisation_file=DEFAULT_ORG_FILE,
        scheduler_enabled=False,
        delivery_global_per_second=limits["global_per_second"],
        delivery_chat_per_second=limits["chat_per_second"],
        delivery_chat_burst=int(limits["chat_burst"]),
        delivery_group_per_minute=limits["group_per_minute"],
        identity_key=new_key(),
        _env_file=None,
    )


async def _seed(app: App, followers: list[int], talkers: list[int]) -> int:
    now = utcnow()
    people = [SUBMITTER, *followers, *talkers]
    async with app.session_factory.begin() as session:
        await session.execute(
            insert(User),
            [
                {"id": uid, "first_name": f"学生{uid}", "locale": "zh_Hans", "created_at": now}
                for uid in people
            ],
        )
        case = await cases_crud.add_case(
            session=session,
            case=Case(
                number="G2026-0001",
                kind="grievance",
                category_code="logistics",
                text="食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。",
                state="accepted",
                submitter_id=SUBMITTER,
                created_at=now,
                updated_at=now,
            ),
        )
        assert case.id is not None
        await cases_crud.add_followers(session=session, case_id=case.id, user_ids=followers)
        return case.id


async def _interactive(app: App, user_id: int, tag: str) -> float:
    """Queue an acknowledgement the way a handler does; the moment its transaction began (its
    latency includes the commit, which waits for the database like everything else)."""
    rows = notify.message_rows(
        chat_id=user_id,
        texts=[f"⟦{tag}⟧ 已收到你的补充材料。"],
        case_id=None,
        recipient=user_id,
        priority=notify.INTERACTIVE,
    )
    began = time.monotonic()
    with app.worker.urgency.active():
        async with app.session_factory.begin() as session:
            await outbox_crud.enqueue(session=session, messages=rows)
    return began


async def _broadcast(app: App, case_id: int) -> tuple[float, float]:
    """The followers' notification, queued in one transaction; (commit time, its duration)."""
    started = time.perf_counter()
    async with app.session_factory.begin() as session:
        case = await cases_crud.get_case(session=session, case_id=case_id)
        assert case is not None
        rows = await notify.to_audience(
            session=session, services=app.services, case=case, template="student/accepted.html"
        )
        await outbox_crud.enqueue(session=session, messages=rows)
    return time.monotonic(), (time.perf_counter() - started) * 1000


class Arrivals:
    """What reached the emulator so far, fetched a little at a time."""

    def __init__(self, channel: Channel, limit: float) -> None:
        self.channel = channel
        self.limit = limit
        self.untagged: dict[int, list[float]] = {}
        self.tagged: dict[str, float] = {}
        self.received = 0
        self.rejected = 0

    async def poll(self) -> None:
        stats = await self.channel.ask("stats", limit=self.limit)
        for chat, t, tag in stats["arrivals"]:
            self.received += 1
            if tag:
                self.tagged.setdefault(str(tag), float(t))
            else:
                self.untagged.setdefault(int(chat), []).append(float(t))
        self.rejected = int(stats["rejected"])

    async def until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.limit
        await self.poll()
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            await self.poll()

    def reached(self, broadcasts: int) -> int:
        """Chats that have received this many broadcast messages."""
        return sum(1 for times in self.untagged.values() if len(times) >= broadcasts)

    def distinct(self, broadcasts: int) -> int:
        """Different messages that arrived: each chat's broadcasts (up to `broadcasts`) and the
        interactive ones."""
        return sum(min(broadcasts, len(t)) for t in self.untagged.values()) + len(self.tagged)


async def _measure(
    app: App,
    channel: Channel,
    case_id: int,
    messages: int,
    talkers: list[int],
    rate: float,
    limit: float,
) -> DeliveryReport:
    seen = Arrivals(channel, limit)
    sent: dict[str, float] = {}
    count = (len(talkers) - WARMUP) // 2
    for n in range(WARMUP):
        sent[f"i{n}"] = await _interactive(app, talkers[n], f"i{n}")
        await asyncio.sleep(IDLE_GAP)
    idle = [f"i{n}" for n in range(WARMUP, WARMUP + count)]
    for n, tag in enumerate(idle):
        sent[tag] = await _interactive(app, talkers[WARMUP + n], tag)
        await asyncio.sleep(IDLE_GAP)
    await seen.until(lambda: len(seen.tagged) == len(sent))

    # The broadcast alone, timed against its minimum.
    recipients = messages + 1  # the followers and the submitter
    broadcast_at, enqueue_ms = await _broadcast(app, case_id)
    await seen.until(lambda: seen.reached(1) >= recipients)
    duration = max((times[0] for times in seen.untagged.values()), default=math.nan)
    duration -= broadcast_at

    # Another one, with interactive messages meanwhile.
    await _broadcast(app, case_id)
    busy = [f"i{n}" for n in range(WARMUP + count, WARMUP + 2 * count)]
    gap = 0.8 * (messages / rate) / count
    for n, tag in enumerate(busy):
        await asyncio.sleep(gap)
        sent[tag] = await _interactive(app, talkers[WARMUP + count + n], tag)
    await seen.until(lambda: len(seen.tagged) == len(sent) and seen.reached(2) >= recipients)

    idle_p99 = percentile([seen.tagged[t] - sent[t] for t in idle if t in seen.tagged], 99)
    busy_p99 = percentile([seen.tagged[t] - sent[t] for t in busy if t in seen.tagged], 99)
    distinct = seen.distinct(2)
    return DeliveryReport(
        messages=messages,
        rate=rate,
        enqueue_ms=enqueue_ms,
        broadcast_seconds=duration,
        ratio=duration / (messages / rate),
        rejected=seen.rejected,
        idle_p99_ms=idle_p99 * 1000,
        busy_p99_ms=busy_p99 * 1000,
        latency_ratio=busy_p99 / idle_p99 if idle_p99 > 0 else math.nan,
        lost=2 * recipients + len(sent) - distinct,
        duplicates=seen.received - distinct,
    )

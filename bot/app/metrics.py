"""What the running bot counts, for Prometheus: one registry per app, so that tests running many
apps in one process never share (or clash over) a metric.

Counters and the histogram move as things happen; the gauges read the database when scraped
(`refresh`), since another instance on the same database changes what they show.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from storage.crud.outbox import PENDING
from storage.models import Case, OutboxMessage

PREFIX = "studentvoice"
# From a callback answer (tens of milliseconds) to a card with a chart (seconds).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.updates = Counter(
            f"{PREFIX}_updates", "Updates handled, by type", ["type"], registry=registry
        )
        self.latency = Histogram(
            f"{PREFIX}_handler_seconds",
            "Time to handle one update, its transaction's commit included",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.sends = Counter(
            f"{PREFIX}_sends",
            "Bot API requests made by the delivery worker, by result (ok, 429, 403, error)",
            ["result"],
            registry=registry,
        )
        self.scheduler_runs = Counter(
            f"{PREFIX}_scheduler_runs",
            "Background job runs, by job and result (ok, error)",
            ["job", "result"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            f"{PREFIX}_outbox_depth",
            "Outbox rows waiting to be sent, by priority (lower is sooner)",
            ["priority"],
            registry=registry,
        )
        self.cases = Gauge(f"{PREFIX}_cases", "Cases, by state", ["state"], registry=registry)

    def send_result(self, result: str) -> None:
        self.sends.labels(result=result).inc()

    def scheduler_run(self, job: str, ok: bool) -> None:
        self.scheduler_runs.labels(job=job, result="ok" if ok else "error").inc()

    async def refresh(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """The gauges from the database; a priority or state no longer seen drops out."""
        async with session_factory() as session:
            depth = await session.execute(
                select(col(OutboxMessage.priority), func.count())
                .where(col(OutboxMessage.status) == PENDING)
                .group_by(col(OutboxMessage.priority))
            )
            states = await session.execute(
                select(col(Case.state), func.count()).group_by(col(Case.state))
            )
            depth_rows, state_rows = depth.all(), states.all()
        self.outbox_depth.clear()
        for priority, count in depth_rows:
            self.outbox_depth.labels(priority=str(priority)).set(count)
        self.cases.clear()
        for state, count in state_rows:
            self.cases.labels(state=state).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class MetricsMiddleware(BaseMiddleware):
    """Outermost: counts each update by type and times all of its handling, commit included."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self.metrics.latency.observe(time.perf_counter() - started)
            self.metrics.updates.labels(type=event.event_type).inc()

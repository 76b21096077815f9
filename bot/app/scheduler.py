"""Background jobs: the daily deadline reminder, the weekly digest, mutes that run out, requests
to reveal an author that expire, and the daily retention purge.

One APScheduler interval job ticks (at start-up, then every minute); each tick asks, with the
services' clock, what is due and not yet claimed. So a slot missed while the bot was down is
caught up at the next start, and tests drive `Jobs.tick(now)` directly without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases.mutes import release_due
from bot.cases.reminders import send_reminders
from bot.casework.deadlines import calendar_of
from bot.core.config import parse_schedule
from bot.core.context import Services
from bot.digest.build import send_scheduled
from bot.digest.schedule import last_slot, period_of_slot
from bot.domain.chats import COMMITTEE
from bot.privacy import reveal
from bot.privacy.retention import Purge, scheduled_purge
from bot.proposals.cosign import close_expired_windows
from bot.reviews.schedule import run_due as reviews_due
from storage.crud import inbox as inbox_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud

log = logging.getLogger(__name__)

# A digest queued later than this after its slot says it is late.
LATE_AFTER = timedelta(minutes=10)
HOUSEKEEPING_EVERY = timedelta(hours=1)
PROCESSED_KEPT, SENT_KEPT = timedelta(days=2), timedelta(days=30)


class Jobs:
    def __init__(
        self,
        *,
        services: Services,
        session_factory: async_sessionmaker[AsyncSession],
        on_run: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.services = services
        self.session_factory = session_factory
        # Told each job's run (its name, whether it succeeded): the app's metrics.
        self.on_run = on_run
        self.weekday, self.at = parse_schedule(services.settings.digest_schedule)
        self._lock = asyncio.Lock()
        self._housekept: datetime | None = None

    async def tick(self, now: datetime | None = None) -> None:
        """Everything due at `now` (the services' clock by default); errors are logged."""
        async with self._lock:
            now = now or self.services.now()
            jobs = (
                self.reminders,
                self.digest,
                self.proposal_windows,
                self.reveal_requests,
                self.mutes,
                self.housekeeping,
                self.retention,
                self.reviews,
            )
            for job in jobs:
                ok = True
                try:
                    await job(now)
                except Exception:
                    ok = False
                    log.exception("scheduled job %s failed", job.__name__)
                if self.on_run is not None:
                    self.on_run(job.__name__, ok)

    async def reminders(self, now: datetime) -> int | None:
        return await send_reminders(
            session_factory=self.session_factory,
            services=self.services,
            now=now,
        )

    async def proposal_windows(self, now: datetime) -> int:
        """Proposals still short of co-signers when their session's window closes."""
        return await close_expired_windows(
            session_factory=self.session_factory,
            services=self.services,
            now=now,
        )

    async def reveal_requests(self, now: datetime) -> int:
        """Requests to reveal an anonymous author that no second admin approved in time."""
        return await reveal.expire_due(
            session_factory=self.session_factory, services=self.services, now=now
        )

    async def mutes(self, now: datetime) -> int:
        """Mutes whose time ran out end; what they held reaches the officers."""
        return await release_due(
            session_factory=self.session_factory, services=self.services, now=now
        )

    async def reviews(self, now: datetime) -> int:
        """Semester reviews: reminders to members who have not voted; rounds past their
        deadline closed and reported."""
        return await reviews_due(
            session_factory=self.session_factory, services=self.services, now=now
        )

    async def digest(self, now: datetime) -> bool:
        chat_id = await self.committee_chat()
        if chat_id is None:
            return False
        tz = self.services.renderer.tz
        slot = last_slot(now, weekday=self.weekday, at=self.at, tz=tz)
        return await send_scheduled(
            session_factory=self.session_factory,
            services=self.services,
            period=period_of_slot(slot, tz),
            slot=slot,
            now=now,
            chat_id=chat_id,
            late_after=LATE_AFTER,
        )

    async def housekeeping(self, now: datetime) -> None:
        """Hourly: records that served their purpose go (a redelivered update comes within a
        day; a sent message's row is kept a month, for replies to it)."""
        if self._housekept is not None and now - self._housekept < HOUSEKEEPING_EVERY:
            return
        async with self.session_factory.begin() as session:
            await inbox_crud.forget_processed(session=session, before=now - PROCESSED_KEPT)
            await outbox_crud.forget_sent(session=session, before=now - SENT_KEPT)
        self._housekept = now

    async def retention(self, now: datetime) -> Purge | None:
        """Daily: personal data of cases finished longer than RETENTION_DAYS ago."""
        return await scheduled_purge(
            session_factory=self.session_factory, services=self.services, now=now
        )

    async def committee_chat(self) -> int | None:
        async with self.session_factory() as session:
            binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
        if binding is not None:
            return binding.chat_id
        return self.services.settings.committee_chat_id

    async def idle(self) -> None:
        """Returns once no tick is running (for a clean stop)."""
        async with self._lock:
            return None


def build_scheduler(jobs: Jobs) -> AsyncIOScheduler:
    """Not started: `running()` starts it inside the event loop and shuts it down."""
    settings = jobs.services.settings
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        jobs.tick,
        IntervalTrigger(seconds=settings.scheduler_tick_seconds, timezone=settings.tz),
        id="tick",
        next_run_time=datetime.now(settings.tz),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler


def warn_stale_calendar(services: Services) -> None:
    """At start rather than at the first deadline: the log says at once that this year's days
    come from China's statutory calendar, not the organisation file."""
    year = services.now().astimezone(services.renderer.tz).year
    if not calendar_of(services).covers(year):
        services.statutory(year)

"""A digest made and queued: figures, summary, chart and report, then outbox rows.

The scheduled digest claims its period in the transaction that queues its messages, so it is
sent once however many instances tick and however often the bot restarts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.core.render import CAPTION_LIMIT
from bot.digest.chart import ChartData, render_chart
from bot.digest.figures import Digest, collect
from bot.digest.periods import Period
from bot.digest.render import file_stem, period_dates, period_title, render_report, render_summary
from bot.domain.text import N_
from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.crud import runs as runs_crud
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

JOB = "digest"
# Queued after officers' and students' messages, which somebody is waiting for.
PRIORITY = 20


@dataclass
class Rendered:
    digest: Digest
    summary: str
    html: str
    png: bytes | None
    title: str


def chart_data(services: Services, locale: str, digest: Digest, footnote: str) -> ChartData:
    renderer = services.renderer
    _ = renderer.translator(locale)
    org = services.org

    def name(code: str | None) -> str:
        found = org.category(code)
        return renderer.name_of(found, locale) if found else (code or "—")

    title = renderer.gettext(
        locale,
        N_("Student Voice digest · %(title)s"),
        title=period_title(renderer, locale, digest.period),
    )
    unit = {"week": N_("weeks"), "month": N_("months"), "semester": N_("semesters")}
    return ChartData(
        title=f"{title}  ({period_dates(digest.period)})",
        trend_title=renderer.gettext(
            locale,
            N_("Last %(n)s %(unit)s: new and answered"),
            n=len(digest.trend_labels),
            unit=_(unit[digest.period.kind]),
        ),
        trend_labels=digest.trend_labels,
        trend_new=digest.trend_new,
        trend_answered=digest.trend_answered,
        new_label=_("New"),
        answered_label=_("Answered"),
        categories_title=_("New cases by category"),
        categories=[(name(r.code), r.new, r.before) for r in digest.categories],
        before_label=period_title(renderer, locale, digest.previous),
        current_label=period_title(renderer, locale, digest.period),
        empty_label=_("Nothing in this period."),
        footnote=footnote,
    )


async def generate(
    *,
    session: AsyncSession,
    services: Services,
    period: Period,
    now: datetime,
    so_far: bool = False,
    late_since: datetime | None = None,
    chart: bool = True,
) -> Rendered:
    """Figures from the database, then words and pictures (the chart in a worker thread)."""
    locale = services.group_locale
    renderer = services.renderer
    digest = await collect(
        session=session, org=services.org, tz=renderer.tz, period=period, now=now, so_far=so_far
    )
    organisation = renderer.name_of(services.org, locale)
    footnote = f"{organisation} · {renderer.format_time(now)}"
    png = None
    if chart:
        png = await asyncio.to_thread(render_chart, chart_data(services, locale, digest, footnote))
    html = render_report(
        renderer,
        locale,
        digest,
        chart_png=png,
        organisation=organisation,
        generated=now,
        late_since=late_since,
        so_far=so_far,
    )
    summary = render_summary(renderer, locale, digest, late_since=late_since, so_far=so_far)
    return Rendered(digest, summary, html, png, period_title(renderer, locale, period))


async def queue(
    *,
    session: AsyncSession,
    services: Services,
    rendered: Rendered,
    chat_id: int,
    priority: int = PRIORITY,
) -> list[OutboxMessage]:
    """The summary, the chart and the report as outbox rows, the files stored alongside."""
    stem = file_stem(rendered.digest)
    caption = rendered.title[:CAPTION_LIMIT]
    rows = [
        OutboxMessage(
            method="sendMessage",
            chat_id=chat_id,
            payload={"chat_id": chat_id, "text": rendered.summary, "parse_mode": "HTML"},
            priority=priority,
        )
    ]
    if rendered.png is not None:
        png = await files_crud.store_file(
            session=session, filename=f"{stem}.png", content_type="image/png", data=rendered.png
        )
        rows.append(
            OutboxMessage(
                method="sendPhoto",
                chat_id=chat_id,
                payload={"chat_id": chat_id, "photo": {"stored_file": png.id}, "caption": caption},
                priority=priority,
            )
        )
    report = await files_crud.store_file(
        session=session,
        filename=f"{stem}.html",
        content_type="text/html",
        data=rendered.html.encode("utf-8"),
    )
    rows.append(
        OutboxMessage(
            method="sendDocument",
            chat_id=chat_id,
            payload={
                "chat_id": chat_id,
                "document": {"stored_file": report.id},
                "caption": services.renderer.gettext(services.group_locale, N_("Full report")),
            },
            priority=priority,
        )
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return rows


async def send_scheduled(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
    period: Period,
    slot: datetime,
    now: datetime,
    chat_id: int,
    late_after: timedelta,
) -> bool:
    """Send the period's digest unless some instance already has; whether this one did."""
    async with session_factory() as session:
        if await runs_crud.is_claimed(session=session, job=JOB, period=period.code):
            return False
    late = now - slot > late_after
    async with session_factory() as session:
        rendered = await generate(
            session=session,
            services=services,
            period=period,
            now=now,
            late_since=slot if late else None,
        )
    try:
        async with session_factory.begin() as session:
            await runs_crud.claim(
                session=session,
                job=JOB,
                period=period.code,
                scheduled_for=slot,
                claimed_at=now,
                late=late,
                sent=3,
            )
            await queue(session=session, services=services, rendered=rendered, chat_id=chat_id)
    except IntegrityError:
        log.info("digest %s was sent by another instance", period.code)
        return False
    log.info("digest %s queued%s", period.code, " (late)" if late else "")
    return True

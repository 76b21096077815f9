"""Retention keeps the statistics: every figure of a past period's digest is the same after the
purge; only the personal parts of it (a hot case's excerpt, who held an overdue case) go."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.core.config import load_organisation
from bot.core.context import Services
from bot.core.render import Renderer
from bot.digest.build import Rendered, chart_data, generate
from bot.digest.figures import Digest
from bot.digest.periods import parse_period
from bot.digest.render import render_report
from bot.privacy import retention
from storage.db import create_session_factory
from storage.models import Case, CaseEvent, CaseFollower, User
from tests.support.digest_fixture import (
    CST,
    Spec,
    at,
    chain,
    insert,
    proposals_week,
    two_weeks,
)
from tests.support.harness import make_settings, reset_database

OFFICER, STUDENT = 9002, 1001
# A year and a bit after the history: every case finished in November 2026 is due.
PURGE_AT = at(1, 9, month=12) + timedelta(days=366)
DIGEST_AT = at(23, 9)
PERIODS = ("2026-W46", "2026-W47", "2026-11", "2026-fall")
MARKER = "内容已按保留期限删除"


def late_case() -> Spec:
    """N: overdue at the end of W47 (no first response by its Wednesday deadline), handled
    and closed the week after: in W47's overdue list, purged now."""
    return Spec(
        "G2026-0099",
        "teaching",
        "nursing",
        at(16, 8),
        chain(
            "submitted",
            ("accept", "accepted", at(25, 9)),
            ("answer", "answered", at(26, 9)),
            ("rate_satisfied", "closed", at(27, 9)),
        ),
        first_response_due=at(18, 8),
    )


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = await reset_database(database_url)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        await insert(session, [*two_weeks(), *proposals_week(), late_case()])
        # The people the history was about: a submitter, an officer who acted, comments.
        session.add_all([User(id=STUDENT, first_name="Alice"), User(id=OFFICER, first_name="王")])
        await session.execute(
            update(Case)
            .where(col(Case.anonymous).is_(False))
            .values(submitter_id=STUDENT, last_actor_id=OFFICER, rating_comment="谢谢王老师")
        )
        await session.execute(
            update(CaseEvent)
            .where(col(CaseEvent.actor_role) == "officer")
            .values(actor_id=OFFICER, text="王老师已联系同学")
        )
    yield factory
    await engine.dispose()


def services_for(database_url: str) -> Services:
    settings = make_settings("http://127.0.0.1:9", database_url)
    org = load_organisation(settings.organisation_file)
    return Services(settings=settings, org=org, renderer=Renderer(org, CST), group_locale="zh_Hans")


async def digests(
    sessions: async_sessionmaker[AsyncSession], services: Services
) -> dict[str, Rendered]:
    out = {}
    async with sessions() as session:
        for code in PERIODS:
            out[code] = await generate(
                session=session,
                services=services,
                period=parse_period(code),
                now=DIGEST_AT,
                chart=False,
            )
    return out


def without_people(digest: Digest, purged: set[str]) -> Digest:
    """The digest as it must read after the purge: a purged case's excerpt is empty (it was
    not published) and nobody is named as holding it."""

    def hot(items: list) -> list:  # type: ignore[type-arg]
        return [dataclasses.replace(h, excerpt="") if h.number in purged else h for h in items]

    return dataclasses.replace(
        digest,
        most_supported=hot(digest.most_supported),
        most_concerned=hot(digest.most_concerned),
        overdue_cases=[
            dataclasses.replace(o, actor_name=None) if o.number in purged else o
            for o in digest.overdue_cases
        ],
    )


async def test_every_figure_of_past_periods_is_the_same_after_the_purge(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    services = services_for(database_url)
    before = await digests(sessions, services)
    w47 = before["2026-W47"].digest
    # The purge has something to take from these periods' figures.
    assert "G2026-0003" in [h.number for h in w47.most_supported]
    assert sorted((o.number, o.actor_name or "") for o in w47.overdue_cases) == [
        ("G2026-0005", ""),
        ("G2026-0099", "王"),
    ]

    done = await retention.purge(session_factory=sessions, services=services, now=PURGE_AT)
    async with sessions() as session:
        purged = set(
            await session.scalars(select(col(Case.number)).where(col(Case.purged_at).is_not(None)))
        )
        followers = list(
            await session.scalars(
                select(col(CaseFollower.user_id))
                .join(Case, col(Case.id) == col(CaseFollower.case_id))
                .where(col(Case.purged_at).is_not(None))
            )
        )
    # A closed (0001, 0003, 0099), merged (0006) and withdrawn (P-0004) case; not the others.
    assert purged == {"G2026-0001", "G2026-0003", "G2026-0006", "G2026-0099", "P2026-0004"}
    assert done.cases == 5 and done.counts["case_events"] > 0
    # C's follower and K's two co-signers still count, as nobody.
    assert sorted(followers) == [-2, -1, -1]

    after = await digests(sessions, services)
    renderer, locale = services.renderer, services.group_locale
    for code in PERIODS:
        old, new = before[code], after[code]
        assert new.digest == without_people(old.digest, purged), code
        assert new.summary == old.summary, code
        assert chart_data(services, locale, new.digest, "") == chart_data(
            services, locale, old.digest, ""
        )
        organisation = renderer.name_of(services.org, locale)
        expected = render_report(
            renderer,
            locale,
            without_people(old.digest, purged),
            chart_png=None,
            organisation=organisation,
            generated=DIGEST_AT,
        )
        assert new.html == expected, code
    assert MARKER in after["2026-W47"].html and MARKER not in before["2026-W47"].html


async def test_the_purge_takes_only_what_is_due_and_only_once(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    services = services_for(database_url)
    # A day too early for the latest of them (N, closed Nov 27): the others go, N stays.
    early = at(27, 8) + timedelta(days=365)
    async with sessions() as session:
        preview = await retention.preview(session=session, now=early, days=365)
    assert preview.cases == 4
    async with sessions() as session:
        untouched = await session.scalar(select(Case).where(col(Case.number) == "G2026-0001"))
        assert untouched is not None and untouched.purged_at is None  # the dry run changed nothing
        assert untouched.submitter_id == STUDENT

    first = await retention.purge(session_factory=sessions, services=services, now=early)
    assert first.counts == preview.counts
    async with sessions() as session:
        rows = {c.number: c for c in await session.scalars(select(Case))}
    assert rows["G2026-0099"].purged_at is None and rows["G2026-0099"].submitter_id == STUDENT
    # Live cases, and those finished within the period, keep everything.
    for number in ("G2026-0002", "G2026-0004", "G2026-0005", "S2026-0001", "P2026-0005"):
        live = rows[number]
        assert live.purged_at is None and live.text, number
    gone = rows["G2026-0001"]
    assert (gone.submitter_id, gone.last_actor_id, gone.rating_comment, gone.text) == (
        None,
        None,
        None,
        "",
    )
    assert (gone.state, gone.category_code, gone.college_code) == ("closed", "teaching", "clinical")
    assert (gone.created_at, gone.closed_at) == (at(10, 10), at(13, 10))

    again = await retention.purge(session_factory=sessions, services=services, now=early)
    assert again.cases == 0 and sum(again.counts.values()) == 0
    async with sessions() as session:
        preview = await retention.preview(session=session, now=early, days=365)
    assert sum(preview.counts.values()) == 0

"""The digest's figures against a hand-counted history, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.core.render import Renderer
from bot.digest.figures import Digest, collect
from bot.digest.periods import parse_period
from bot.digest.render import render_report, render_summary
from storage.db import create_session_factory
from tests.support.digest_fixture import CST, at, insert, proposals_week, two_weeks
from tests.support.harness import reset_database

HOUR = 3600.0


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = await reset_database(database_url)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        await insert(session, two_weeks())
    yield factory
    await engine.dispose()


async def digest_of(
    sessions: async_sessionmaker[AsyncSession], code: str, now: datetime, so_far: bool = False
) -> Digest:
    org = load_organisation(DEFAULT_ORG_FILE)
    async with sessions() as session:
        return await collect(
            session=session, org=org, tz=CST, period=parse_period(code), now=now, so_far=so_far
        )


async def test_week_figures_match_the_hand_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    d = await digest_of(sessions, "2026-W47", now=at(23, 9))
    assert (d.new.now, d.new.before) == (6, 2)
    assert (d.answered.now, d.answered.before) == (3, 1)  # B, C, D against A
    assert (d.closed.now, d.closed.before) == (1, 1)  # C against A
    assert (d.open.now, d.open.before) == (4, 1)  # D E G H at Nov 23 00:00; B at Nov 16
    assert (d.overdue.now, d.overdue.before) == (1, 0)  # E
    assert d.anonymous == 1

    assert [(r.code, r.new, r.before, r.answered) for r in d.categories] == [
        ("logistics", 3, 1, 3),
        ("teaching", 2, 1, 0),
        ("dormitory", 1, 0, 0),
    ]
    assert [(r.code, r.new, r.before, r.answered) for r in d.colleges] == [
        ("clinical", 4, 1, 1),
        ("basic", 1, 0, 1),
        ("nursing", 1, 1, 1),
    ]

    # First responses 1, 1, 2, 24 h; answers 24, 72, 168 h (interpolated percentiles).
    assert d.first_response.count == 4
    assert d.first_response.median == pytest.approx(1.5 * HOUR)
    assert d.first_response.p90 == pytest.approx(17.4 * HOUR)
    assert d.answer.count == 3
    assert d.answer.median == pytest.approx(72 * HOUR)
    assert d.answer.p90 == pytest.approx(148.8 * HOUR)

    assert [(r.value, r.count, r.share, r.before) for r in d.ratings] == [
        (3, 0, 0.0, 1),
        (2, 1, 0.5, 0),
        (1, 1, 0.5, 0),
    ]
    assert [(h.number, h.followers) for h in d.most_supported] == [
        ("G2026-0005", 4),
        ("G2026-0004", 2),
        ("G2026-0003", 1),
    ]
    # People concerned: the case itself, the cases merged into it, its followers.
    assert [(h.number, h.people) for h in d.most_concerned] == [
        ("G2026-0005", 5),
        ("G2026-0004", 4),
        ("G2026-0003", 2),
    ]
    assert [o.number for o in d.overdue_cases] == ["G2026-0005"]
    assert d.proposals == {"submitted": 1}
    assert d.trend_new[-2:] == [2, 6] and sum(d.trend_new) == 8
    assert d.trend_answered[-2:] == [1, 3] and sum(d.trend_answered) == 4
    assert len(d.trend_labels) == 12 and d.trend_labels[-1] == "11-16"


async def test_the_previous_week_and_longer_periods(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    w46 = await digest_of(sessions, "2026-W46", now=at(23, 9))
    assert (w46.new.now, w46.answered.now, w46.closed.now, w46.open.now) == (2, 1, 1, 1)
    assert w46.first_response.count == 2  # A 4 h, B 1 h
    assert w46.first_response.median == pytest.approx(2.5 * HOUR)

    month = await digest_of(sessions, "2026-11", now=at(23, 9))
    assert (month.new.now, month.new.before) == (8, 0)
    assert month.answered.now == 4
    assert month.ratings[0].count == 1  # A's 满意

    fall = await digest_of(sessions, "2026-fall", now=at(23, 9))
    assert fall.new.now == 8 and len(fall.trend_labels) == 4


@pytest.mark.parametrize(
    ("locale", "heading", "count", "column", "old"),
    [
        ("zh_Hans", "涉及人数最多", "涉及 5 人", "涉及人数", "反映"),
        ("en", "Most people concerned", "5 people concerned", "People concerned", "report"),
    ],
)
async def test_hot_topics_are_worded_as_the_people_they_count(
    sessions: async_sessionmaker[AsyncSession],
    locale: str,
    heading: str,
    count: str,
    column: str,
    old: str,
) -> None:
    """The summary and the report call the ranking what it counts: people concerned (the
    submitters and supporters, each once), not reports."""
    d = await digest_of(sessions, "2026-W47", now=at(23, 9))
    renderer = Renderer(load_organisation(DEFAULT_ORG_FILE), CST)
    summary = render_summary(renderer, locale, d)
    (line,) = [line for line in summary.splitlines() if line.startswith("🔥")]
    assert heading in line and "G2026-0005 (" in line and count in line
    assert old not in line.lower()
    report = render_report(
        renderer, locale, d, chart_png=None, organisation="—", generated=at(23, 9)
    )
    assert f"<h3>{heading}</h3>" in report and f'<th class="num">{column}</th>' in report
    concerned = report.split(f"<h3>{heading}</h3>")[1].split("</section>")[0]
    assert "G2026-0005</td>" in concerned and old not in concerned.lower()


async def test_the_week_so_far_compares_with_the_same_days_before(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Wednesday noon: Mon–Wed of W47 (C, D, E, F) against Mon–Wed of W46 (A, B).
    d = await digest_of(sessions, "2026-W47", now=at(18, 12, 30), so_far=True)
    assert (d.new.now, d.new.before) == (4, 2)
    assert d.answered.now == 2  # C on Tuesday, B on Wednesday morning
    assert d.open.now == 3  # D E F open, B answered, C answered (rated later)
    assert [o.number for o in d.overdue_cases] == []  # E is due on Thursday


async def test_proposals_count_from_submission_and_are_answered_by_their_last_answer(
    database_url: str,
) -> None:
    """Week 47 again, with the proposals of `proposals_week`: I, J, K never reached the
    officers; L's last published answer answers it; M's first answer of two does not."""
    engine = await reset_database(database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions.begin() as session:
            await insert(session, [*two_weeks(), *proposals_week()])
        d = await digest_of(sessions, "2026-W47", now=at(23, 9))
    finally:
        await engine.dispose()
    assert (d.new.now, d.new.before) == (8, 2)  # the six cases, L and M
    assert (d.answered.now, d.answered.before) == (4, 1)  # B, C, D and L
    assert (d.open.now, d.open.before) == (5, 1)  # D E G H M
    assert d.overdue.now == 1  # E: a draft has no deadline to miss
    assert [(r.code, r.new, r.before, r.answered) for r in d.categories] == [
        ("teaching", 4, 1, 1),
        ("logistics", 3, 1, 3),
        ("dormitory", 1, 0, 0),
    ]
    assert [(r.code, r.new, r.before, r.answered) for r in d.colleges] == [
        ("clinical", 4, 1, 1),
        ("basic", 3, 0, 2),
        ("nursing", 1, 1, 1),
    ]
    # First responses 1, 1, 2, 24 h and L's 4 h, M's 2 h; answers 24, 72, 168 h and L's 48 h.
    assert d.first_response.count == 6
    assert d.first_response.median == pytest.approx(2 * HOUR)
    assert d.answer.count == 4
    assert d.answer.median == pytest.approx(60 * HOUR)
    assert d.answer.p90 == pytest.approx(139.2 * HOUR)
    # K's two co-signers follow a withdrawn proposal: that is no hot topic.
    assert [(h.number, h.followers) for h in d.most_supported] == [
        ("G2026-0005", 4),
        ("G2026-0004", 2),
        ("G2026-0003", 1),
    ]
    assert d.proposals == {"submitted": 1, "in_progress": 1, "answered": 1}  # H, M, L
    assert d.trend_new[-2:] == [2, 8]
    assert d.trend_answered[-2:] == [1, 4]

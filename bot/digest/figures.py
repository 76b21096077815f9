"""Everything the digest says, gathered from the SQL aggregates into plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Organisation
from bot.digest.periods import Period, previous
from bot.domain.intake import OFFLINE_SOURCES
from storage.crud import digest as q
from storage.crud import digest_levels as levels_q
from storage.crud import hot_topics

TREND_LENGTH = {"week": 12, "month": 12, "semester": 4}
HOT_LIMIT = 5
OVERDUE_LIMIT = 30


@dataclass(frozen=True)
class Figure:
    now: int
    before: int

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class Row:
    code: str | None
    new: int
    before: int
    answered: int

    @property
    def change(self) -> int:
        return self.new - self.before


@dataclass(frozen=True)
class Rating:
    value: int  # 3 satisfied, 2 partly, 1 unsatisfied
    count: int
    share: float | None  # of the period's ratings; None when there were none
    before: int


@dataclass(frozen=True)
class Union:
    """A college union's handling times (校院两级)."""

    college: str
    first_response: q.Spread
    answer: q.Spread


@dataclass
class Digest:
    period: Period
    start: datetime
    end: datetime
    as_of: datetime
    previous: Period
    new: Figure
    answered: Figure
    closed: Figure
    open: Figure
    overdue: Figure
    anonymous: int
    categories: list[Row]
    colleges: list[Row]
    first_response: q.Spread
    answer: q.Spread
    ratings: list[Rating]
    most_supported: list[hot_topics.HotCase]
    most_concerned: list[hot_topics.HotCase]
    overdue_cases: list[q.OverdueCase]
    proposals: dict[str, int]
    proposals_since: date
    trend_labels: list[str] = field(default_factory=list)
    trend_new: list[int] = field(default_factory=list)
    trend_answered: list[int] = field(default_factory=list)
    # New cases by where they came from (`bot.domain.intake.SOURCE_LABEL`), largest first.
    sources: list[tuple[str, int]] = field(default_factory=list)

    @property
    def offline(self) -> int:
        """How many of the new cases were received offline and registered by an officer."""
        return sum(n for source, n in self.sources if source in OFFLINE_SOURCES)

    # 校院两级: new cases per level (the level that holds them now), 上报 and 下派 in the
    # period, and each college union's handling times. All empty for a university-only union.
    levels: list[Row] = field(default_factory=list)
    escalations: int = 0
    delegations: int = 0
    unions: list[Union] = field(default_factory=list)

    @property
    def rated(self) -> int:
        return sum(r.count for r in self.ratings)

    @property
    def two_levels(self) -> bool:
        """Whether any college union took part: only then does the digest speak of levels."""
        return bool(
            self.unions
            or self.escalations
            or self.delegations
            or any(r.code == "college" for r in self.levels)
        )


def academic_year_start(day: date) -> date:
    """Congress sessions follow the academic year, which starts in September."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def _trend(period: Period, org: Organisation) -> list[Period]:
    buckets = [period]
    for _ in range(TREND_LENGTH[period.kind] - 1):
        buckets.append(previous(buckets[-1], org.calendar.semesters))
    return list(reversed(buckets))


def _label(period: Period) -> str:
    if period.kind == "week":
        return period.first.strftime("%m-%d")
    return period.code


async def collect(
    *,
    session: AsyncSession,
    org: Organisation,
    tz: ZoneInfo,
    period: Period,
    now: datetime,
    so_far: bool = False,
) -> Digest:
    """The digest of `period` as the database tells it at `now`.

    With `so_far`, the period is still running: it is compared with the same stretch of the
    period before (Monday to Wednesday against Monday to Wednesday), not with all of it.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # The report's joins look costly to the planner, whose JIT compilation then takes
        # longer (half a second) than the queries themselves (milliseconds).
        await session.execute(text("SET LOCAL jit = off"))
    start, end = period.bounds(tz)
    before_period = previous(period, org.calendar.semesters)
    b_start, b_end = before_period.bounds(tz)
    if so_far:
        end = min(end, now)
        b_end = min(b_end, b_start + (end - start))
    as_of = min(end, now)
    b_as_of = min(b_end, now)
    span, before = (start, end), (b_start, b_end)

    flows, flows_before = (
        await q.flow_counts(session=session, span=span),
        await q.flow_counts(session=session, span=before),
    )
    open_now, open_before = await q.open_at(session=session, moments=[as_of, b_as_of])
    overdue_now, overdue_before = await q.overdue_counts(session=session, moments=[as_of, b_as_of])
    categories = await q.breakdown(
        session=session, column="category_code", span=span, before=before
    )
    colleges = await q.breakdown(session=session, column="college_code", span=span, before=before)
    ratings = await q.ratings(session=session, span=span, before=before)
    rated = sum(n for n, _ in ratings.values())
    supported, concerned = await hot_topics.hot_topics(session=session, span=span, limit=HOT_LIMIT)
    buckets = _trend(period, org)
    bounds = [b.bounds(tz) for b in buckets]
    trend_new, trend_answered = await q.weekly_series(session=session, buckets=bounds)
    since = academic_year_start((as_of - timedelta(microseconds=1)).astimezone(tz).date())
    since_at = datetime.combine(since, datetime.min.time(), tz)

    def order(rows: list[tuple[str | None, int, int, int]]) -> list[Row]:
        kept = [Row(*row) for row in rows if row[1] or row[2] or row[3]]
        return sorted(kept, key=lambda r: (-r.new, -r.answered, r.code or ""))

    level_rows = await q.breakdown(session=session, column="level", span=span, before=before)
    moved = await levels_q.moves(session=session, span=span)
    unions = [
        Union(code, *await levels_q.union_times(session=session, span=span, college=code))
        for code in await levels_q.union_colleges(session=session, span=span)
    ]
    return Digest(
        period=period,
        start=start,
        end=end,
        as_of=as_of,
        previous=before_period,
        new=Figure(flows["new"], flows_before["new"]),
        answered=Figure(flows["answered"], flows_before["answered"]),
        closed=Figure(flows["closed"], flows_before["closed"]),
        open=Figure(open_now, open_before),
        overdue=Figure(overdue_now, overdue_before),
        anonymous=await q.anonymous_share(session=session, span=span),
        categories=order(categories),
        colleges=order(colleges),
        first_response=await q.first_response_times(session=session, span=span),
        answer=await q.answer_times(session=session, span=span),
        ratings=[
            Rating(
                value,
                ratings[value][0],
                ratings[value][0] / rated if rated else None,
                ratings[value][1],
            )
            for value in (3, 2, 1)
        ],
        most_supported=supported,
        most_concerned=concerned,
        overdue_cases=await q.overdue_list(session=session, moment=as_of, limit=OVERDUE_LIMIT),
        proposals=await q.proposals_by_state(session=session, since=since_at, until=as_of),
        proposals_since=since,
        trend_labels=[_label(b) for b in buckets],
        trend_new=trend_new,
        trend_answered=trend_answered,
        sources=sorted(
            (await q.source_counts(session=session, span=span)).items(),
            key=lambda item: (-item[1], item[0]),
        ),
        levels=order(level_rows),
        escalations=moved[levels_q.ESCALATE],
        delegations=moved[levels_q.DELEGATE],
        unions=unions,
    )

"""The digest's figures, each one SQL aggregate: no query loads cases into Python.

Times are [start, end) ranges of aware datetimes. "Answered" and "closed" come from the events,
so a past period keeps its figures however its cases moved since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud.deadlines import last_officer_name
from storage.models import Case, CaseEvent

Range = tuple[datetime, datetime]

OPEN = ("submitted", "accepted", "needs_info", "in_progress", "reopened")
# Proposals begun but never put to the officers: not "new" cases of any period.
NOT_SUBMITTED = ("draft", "cosigning", "withdrawn")
RATINGS = {"rate_satisfied": 3, "rate_partly": 2, "rate_unsatisfied": 1}


def answer_event() -> ColumnElement[bool]:
    """An event that answered its case: the officers' 答复, or for a proposal the publication
    of its last department's answer (approve_answer to "answered"; earlier publications leave
    the proposal in progress, as the workflow does)."""
    # Both actions are sought in the (action, created_at, to_state, case_id) index, which then
    # tells the rest without reading the events.
    return and_(
        col(CaseEvent.action).in_(("answer", "approve_answer")),
        or_(col(CaseEvent.action) == "answer", col(CaseEvent.to_state) == "answered"),
    )


def _in(column: Any, span: Range) -> ColumnElement[bool]:
    return and_(column >= span[0], column < span[1])


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def unindexed(column: Any) -> Any:
    """The column as an expression no index serves: for a bound that nearly every row meets
    (created before the end of the period), SQLite would otherwise walk the whole index."""
    return func.coalesce(column, column)


def seconds_between(session: AsyncSession, later: Any, earlier: Any) -> Any:
    """later - earlier in seconds, in the dialect's own date arithmetic."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def flow_counts(*, session: AsyncSession, span: Range) -> dict[str, int]:
    """New cases, cases answered, cases closed (办结) within the span."""
    new = select(func.count()).where(
        _in(col(Case.created_at), span), col(Case.state).not_in(NOT_SUBMITTED)
    )
    answered = select(func.count(distinct(col(CaseEvent.case_id)))).where(
        answer_event(), _in(col(CaseEvent.created_at), span)
    )
    closed = select(func.count(distinct(col(CaseEvent.case_id)))).where(
        col(CaseEvent.to_state) == "closed", _in(col(CaseEvent.created_at), span)
    )
    row = (
        await session.execute(
            select(new.scalar_subquery(), answered.scalar_subquery(), closed.scalar_subquery())
        )
    ).one()
    return {"new": int(row[0]), "answered": int(row[1]), "closed": int(row[2])}


async def open_at(*, session: AsyncSession, moments: Sequence[datetime]) -> list[int]:
    """Cases open (not yet answered or finished) at each moment.

    Counted back from now: the open cases now, less those that became open since, plus those
    that stopped being open since. Only events after the moment are read, so recent periods
    cost little however long the history.
    """
    now_open = select(func.count()).where(col(Case.state).in_(OPEN)).scalar_subquery()
    came_in = and_(
        col(CaseEvent.to_state).in_(OPEN),
        or_(col(CaseEvent.from_state).is_(None), col(CaseEvent.from_state).not_in(OPEN)),
    )
    went_out = and_(col(CaseEvent.from_state).in_(OPEN), col(CaseEvent.to_state).not_in(OPEN))
    columns: list[Any] = [now_open]
    for moment in moments:
        after = col(CaseEvent.created_at) >= moment
        columns += [_count_if(and_(after, came_in)), _count_if(and_(after, went_out))]
    stmt = select(*columns).where(
        col(CaseEvent.created_at) >= min(moments), col(CaseEvent.to_state).is_not(None)
    )
    row = (await session.execute(stmt)).one()
    base = int(row[0] or 0)
    return [base - int(row[1 + 2 * i]) + int(row[2 + 2 * i]) for i in range(len(moments))]


def overdue_condition(moment: datetime) -> ColumnElement[bool]:
    """Past a deadline at `moment` with that step still undone, judged by the current deadlines
    (which only ever move later, while the student is asked for information)."""
    responding = and_(
        col(Case.first_response_due_at) < moment,
        or_(col(Case.first_response_at).is_(None), col(Case.first_response_at) >= moment),
    )
    answering = and_(
        col(Case.answer_due_at) < moment,
        or_(
            col(Case.answered_at).is_(None),
            col(Case.answered_at) >= moment,
            col(Case.state).in_(OPEN),
        ),
    )
    return and_(
        unindexed(col(Case.created_at)) < moment,
        or_(col(Case.closed_at).is_(None), col(Case.closed_at) >= moment),
        col(Case.state) != "needs_info",
        or_(responding, answering),
    )


def overdue_candidates(moment: datetime) -> Any:
    """The ids of the cases that may be overdue at `moment` or later: a step still undone then
    (no first response, or no answer, before it) or open now. Each part is read from an index,
    so the check of the whole condition visits a few thousand cases, not the history."""
    responded_after = or_(
        col(Case.first_response_at).is_(None), col(Case.first_response_at) >= moment
    )
    unanswered = and_(
        col(Case.answered_at).is_(None),
        or_(col(Case.closed_at).is_(None), col(Case.closed_at) >= moment),
    )
    return union_all(
        select(col(Case.id)).where(responded_after),
        select(col(Case.id)).where(unanswered),
        select(col(Case.id)).where(col(Case.answered_at) >= moment),
        select(col(Case.id)).where(col(Case.state).in_(OPEN)),
    )


async def overdue_counts(*, session: AsyncSession, moments: Sequence[datetime]) -> list[int]:
    columns = [_count_if(overdue_condition(moment)) for moment in moments]
    stmt = select(*columns).where(
        col(Case.id).in_(overdue_candidates(min(moments))),
        or_(col(Case.closed_at).is_(None), col(Case.closed_at) >= min(moments)),
        unindexed(col(Case.created_at)) < max(moments),
    )
    row = (await session.execute(stmt)).one()
    return [int(value or 0) for value in row]


@dataclass(frozen=True)
class OverdueCase:
    number: str
    category_code: str
    college_code: str | None
    state: str
    department_code: str | None
    created_at: datetime
    due_at: datetime
    actor_name: str | None


async def overdue_list(
    *, session: AsyncSession, moment: datetime, limit: int, department: str | None = None
) -> list[OverdueCase]:
    """The longest-overdue cases first; with `department`, those it holds."""
    due = case(
        (col(Case.first_response_at).is_(None), col(Case.first_response_due_at)),
        else_=col(Case.answer_due_at),
    )
    stmt = (
        select(
            col(Case.number),
            col(Case.category_code),
            col(Case.college_code),
            col(Case.state),
            col(Case.department_code),
            col(Case.created_at),
            due.label("due"),
            last_officer_name(),
        )
        .where(col(Case.id).in_(overdue_candidates(moment)), overdue_condition(moment))
        .order_by(due, col(Case.id))
        .limit(limit)
    )
    if department is not None:
        stmt = stmt.where(col(Case.department_code) == department)
    rows = await session.execute(stmt)
    return [OverdueCase(*row) for row in rows]


async def breakdown(
    *, session: AsyncSession, column: str, span: Range, before: Range
) -> list[tuple[str | None, int, int, int]]:
    """(code, new in span, new in the span before, answered in span) per category or college."""
    key: Any = col(getattr(Case, column))
    new = (
        select(
            key.label("code"),
            _count_if(_in(col(Case.created_at), span)).label("new"),
            _count_if(_in(col(Case.created_at), before)).label("before"),
        )
        .where(
            col(Case.created_at) >= before[0],
            col(Case.created_at) < span[1],
            col(Case.state).not_in(NOT_SUBMITTED),
        )
        .group_by(key)
    )
    answered: Any = (
        select(key.label("code"), func.count(distinct(col(CaseEvent.case_id))).label("n"))
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .where(answer_event(), _in(col(CaseEvent.created_at), span))
        .group_by(key)
    )
    counts: dict[str | None, list[int]] = {}
    for code, n_new, n_before in await session.execute(new):
        counts[code] = [int(n_new), int(n_before), 0]
    for code, n in await session.execute(answered):
        counts.setdefault(code, [0, 0, 0])[2] = int(n)
    return [(code, *values) for code, values in counts.items()]  # type: ignore[misc]


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None  # seconds
    p90: float | None


async def _quantiles(session: AsyncSession, durations: Any) -> Spread:
    """Median and 90th percentile, interpolated like percentile_cont, ranked in SQL.

    Only the (at most four) rows around the two ranks leave the database.
    """
    d = durations.subquery("d")
    ranked = select(
        d.c.v,
        (func.row_number().over(order_by=d.c.v) - 1).label("i"),
        func.count().over().label("n"),
    ).subquery("r")
    n_1 = ranked.c.n - 1
    wanted = [n_1 // 2, n_1 // 2 + 1, n_1 * 9 // 10, n_1 * 9 // 10 + 1]
    stmt = select(ranked.c.i, ranked.c.n, ranked.c.v).where(ranked.c.i.in_(wanted))
    rows = (await session.execute(stmt)).all()
    if not rows:
        return Spread(0, None, None)
    n = int(rows[0][1])
    values = {int(i): float(v) for i, _, v in rows}

    def at(p: float) -> float:
        position = p * (n - 1)
        low = int(position)
        high = min(low + 1, n - 1)
        return values[low] + (position - low) * (values[high] - values[low])

    return Spread(n, at(0.5), at(0.9))


async def first_response_times(*, session: AsyncSession, span: Range) -> Spread:
    seconds = seconds_between(session, col(Case.first_response_at), col(Case.created_at))
    return await _quantiles(
        session, select(seconds.label("v")).where(_in(col(Case.first_response_at), span))
    )


async def answer_times(*, session: AsyncSession, span: Range) -> Spread:
    """From submission to the first answer given within the span, per case."""
    first = (
        select(
            col(CaseEvent.case_id).label("case_id"),
            func.min(col(CaseEvent.created_at)).label("at"),
        )
        .where(answer_event(), _in(col(CaseEvent.created_at), span))
        .group_by(col(CaseEvent.case_id))
        .subquery("a")
    )
    seconds = seconds_between(session, first.c.at, col(Case.created_at))
    return await _quantiles(
        session,
        select(seconds.label("v")).select_from(first).join(Case, col(Case.id) == first.c.case_id),
    )


async def ratings(
    *, session: AsyncSession, span: Range, before: Range
) -> dict[int, tuple[int, int]]:
    """Rating (3/2/1) → (count in span, count in the span before)."""
    stmt = (
        select(
            col(CaseEvent.action),
            _count_if(_in(col(CaseEvent.created_at), span)),
            _count_if(_in(col(CaseEvent.created_at), before)),
        )
        .where(
            col(CaseEvent.action).in_(RATINGS),
            col(CaseEvent.created_at) >= before[0],
            col(CaseEvent.created_at) < span[1],
        )
        .group_by(col(CaseEvent.action))
    )
    out = {rating: (0, 0) for rating in RATINGS.values()}
    for action, now_n, before_n in await session.execute(stmt):
        out[RATINGS[action]] = (int(now_n), int(before_n))
    return out


async def weekly_series(
    *, session: AsyncSession, buckets: Sequence[Range]
) -> tuple[list[int], list[int]]:
    """New cases and cases answered in each bucket, in one statement.

    Each bucket is its own count over an index range, read from the index alone: comparing
    every row with every bucket's bounds instead costs more than the counting.
    """
    new = [
        select(func.count())
        .where(_in(col(Case.created_at), b), col(Case.state).not_in(NOT_SUBMITTED))
        .scalar_subquery()
        for b in buckets
    ]
    answered = [
        select(func.count(distinct(col(CaseEvent.case_id))))
        .where(answer_event(), _in(col(CaseEvent.created_at), b))
        .scalar_subquery()
        for b in buckets
    ]
    row = (await session.execute(select(*new, *answered))).one()
    return [int(v) for v in row[: len(buckets)]], [int(v) for v in row[len(buckets) :]]


async def proposals_by_state(
    *, session: AsyncSession, since: datetime, until: datetime
) -> dict[str, int]:
    stmt = (
        select(col(Case.state), func.count())
        .where(
            col(Case.kind) == "proposal",
            col(Case.created_at) >= since,
            col(Case.created_at) < until,
            # "Proposals submitted since": drafts and those still being co-signed are not.
            col(Case.state).not_in(NOT_SUBMITTED),
        )
        .group_by(col(Case.state))
    )
    return {state: int(n) for state, n in await session.execute(stmt)}


async def anonymous_share(*, session: AsyncSession, span: Range) -> int:
    """How many of the span's new cases were anonymous (a count, never who)."""
    stmt = select(func.count()).where(
        _in(col(Case.created_at), span),
        col(Case.anonymous),
        col(Case.state).not_in(NOT_SUBMITTED),
    )
    return int(await session.scalar(stmt) or 0)


async def source_counts(*, session: AsyncSession, span: Range) -> dict[str, int]:
    """The span's new cases by where they came from (the bot, a paper form, …)."""
    stmt = (
        select(col(Case.source), func.count())
        .where(_in(col(Case.created_at), span), col(Case.state).not_in(NOT_SUBMITTED))
        .group_by(col(Case.source))
    )
    return {source: int(n) for source, n in (await session.execute(stmt)).all()}

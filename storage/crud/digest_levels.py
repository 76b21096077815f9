"""The digest's figures of the two levels (校院两级): cases per level, escalations and
delegations, and each college union's handling times. Each one SQL aggregate, as in
`storage.crud.digest`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud.digest import Range, Spread, _in, _quantiles, answer_event, seconds_between
from storage.models import Case, CaseEvent

ESCALATE, DELEGATE = "escalate", "delegate"
COLLEGE = "college"


async def moves(*, session: AsyncSession, span: Range) -> dict[str, int]:
    """How many 上报 and 下派 the span saw."""
    stmt = (
        select(col(CaseEvent.action), func.count())
        .where(
            col(CaseEvent.action).in_((ESCALATE, DELEGATE)), _in(col(CaseEvent.created_at), span)
        )
        .group_by(col(CaseEvent.action))
    )
    found = {action: int(n) for action, n in await session.execute(stmt)}
    return {ESCALATE: found.get(ESCALATE, 0), DELEGATE: found.get(DELEGATE, 0)}


async def union_colleges(*, session: AsyncSession, span: Range) -> list[str]:
    """The colleges whose unions hold a case submitted, first responded to or answered in the
    span, or escalated one in it."""
    held = select(col(Case.college_code)).where(
        col(Case.level) == COLLEGE,
        col(Case.college_code).is_not(None),
        _in(col(Case.first_response_at), span)
        | _in(col(Case.answered_at), span)
        | _in(col(Case.created_at), span),
    )
    escalated = (
        select(col(Case.college_code))
        .join(CaseEvent, col(CaseEvent.case_id) == col(Case.id))
        .where(col(CaseEvent.action) == ESCALATE, _in(col(CaseEvent.created_at), span))
    )
    codes = set(await session.scalars(held)) | set(await session.scalars(escalated))
    return sorted(code for code in codes if code)


async def union_times(*, session: AsyncSession, span: Range, college: str) -> tuple[Spread, Spread]:
    """A college union's handling times over the cases it holds: submission to first response
    (given in the span), and to the answer (given in the span)."""
    held: Any = (col(Case.level) == COLLEGE, col(Case.college_code) == college)
    first = seconds_between(session, col(Case.first_response_at), col(Case.created_at))
    first_spread = await _quantiles(
        session, select(first.label("v")).where(_in(col(Case.first_response_at), span), *held)
    )
    answered = (
        select(
            col(CaseEvent.case_id).label("case_id"),
            func.min(col(CaseEvent.created_at)).label("at"),
        )
        .where(answer_event(), _in(col(CaseEvent.created_at), span))
        .group_by(col(CaseEvent.case_id))
        .subquery("a")
    )
    answer = seconds_between(session, answered.c.at, col(Case.created_at))
    answer_spread = await _quantiles(
        session,
        select(answer.label("v"))
        .select_from(answered)
        .join(Case, col(Case.id) == answered.c.case_id)
        .where(*held),
    )
    return first_spread, answer_spread

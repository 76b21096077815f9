"""Deadlines of a case, derived from its events and the working-day calendar.

Three clocks: the first response (from submission), the answer (from submission, or from the
student's 不满意 that reopened it), and the department's leg (from the latest 转办, or the
reopening of a case a department holds). Time in 待补充 — from the officers' request for
information to the student's reply — stops the answer and department clocks; while it lasts
they have no due time at all, so nobody is reminded of a case that waits for the student.

A proposal's departments answer by the deadline the committee chose at 交办 (each part has its
own `due_at`), not by the policy's department days: `refresh` reads the parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.config import Organisation
from bot.core.context import Services
from bot.domain.calendar import Interval, WorkCalendar, YearDays
from bot.domain.workflow import Action, Kind, State
from storage.crud import deadlines as deadlines_crud
from storage.models import Case, CaseEvent

# 转办 for a case, 交办 for a proposal: a department's clock starts.
DEPARTMENT_STARTS = frozenset({Action.FORWARD.value, "assign"})
NOT_YET_SUBMITTED = frozenset({"draft", "cosigning"})


@dataclass(frozen=True)
class Policy:
    first_response_days: float
    answer_days: float
    department_days: float


@dataclass(frozen=True)
class Step:
    """What the clocks need of an event."""

    action: str
    from_state: str | None
    to_state: str | None
    at: datetime


@dataclass(frozen=True)
class Dues:
    first_response: datetime | None
    answer: datetime | None
    department: datetime | None
    paused: bool


def build_calendar(
    org: Organisation, tz: ZoneInfo, statutory: Callable[[int], YearDays] | None = None
) -> WorkCalendar:
    return WorkCalendar(
        tz=tz,
        holidays=frozenset(org.calendar.holidays),
        workdays=frozenset(org.calendar.workdays),
        statutory=statutory,
    )


def calendar_of(services: Services) -> WorkCalendar:
    return build_calendar(services.org, services.renderer.tz, services.statutory)


def policy_for(org: Organisation, category_code: str | None) -> Policy:
    base = org.deadlines
    category = org.category(category_code)
    return Policy(
        first_response_days=(category and category.first_response_days) or base.first_response_days,
        answer_days=(category and category.answer_days) or base.answer_days,
        department_days=(category and category.department_days) or base.department_days,
    )


def pauses_of(steps: Sequence[Step]) -> list[Interval]:
    """The 待补充 spells, the last one open (end None) while the case still waits."""
    spells: list[Interval] = []
    began: datetime | None = None
    for step in steps:
        if step.to_state == State.NEEDS_INFO and step.from_state != State.NEEDS_INFO:
            began = step.at
        elif began is not None and step.from_state == State.NEEDS_INFO:
            spells.append((began, step.at))
            began = None
    if began is not None:
        spells.append((began, None))
    return spells


def compute(
    *,
    created_at: datetime,
    department_code: str | None,
    steps: Sequence[Step],
    policy: Policy,
    calendar: WorkCalendar,
    assigned_due: datetime | None = None,
    received_at: datetime | None = None,
) -> Dues:
    """The clocks from the events; `assigned_due` is the latest deadline of a proposal's
    department parts, when it has any; `received_at`, when a case received offline reached
    the union (its registration may be days later)."""
    if steps and steps[-1].to_state in NOT_YET_SUBMITTED:
        return Dues(None, None, None, paused=False)  # a proposal still being co-signed
    # The clocks start when the case reaches the officers: for a proposal, when it leaves
    # co-signing, not when its draft was begun.
    submitted_at = next(
        (s.at for s in steps if s.to_state == State.SUBMITTED and s.from_state != State.NEEDS_INFO),
        created_at,
    )
    if received_at is not None:
        submitted_at = min(submitted_at, received_at)
    cycle_start = submitted_at
    for step in steps:
        if step.to_state == State.REOPENED:
            cycle_start = step.at
    pauses = pauses_of(steps)
    department_start: datetime | None = None
    for step in steps:
        if step.at < cycle_start:
            continue
        if step.action in DEPARTMENT_STARTS or (
            step.to_state == State.REOPENED and department_code
        ):
            department_start = step.at
    department = None
    if department_start is not None and department_code:
        department = calendar.add_working_days(department_start, policy.department_days, pauses)
    answer = calendar.add_working_days(cycle_start, policy.answer_days, pauses)
    if assigned_due is not None:
        # The committee gave the departments until then: the answer cannot be due before they
        # have answered, and a shorter department deadline leaves the officers theirs.
        department = assigned_due
        if answer is not None:  # None: stopped, waiting for the student
            answer = max(answer, assigned_due)
    return Dues(
        first_response=calendar.add_working_days(submitted_at, policy.first_response_days),
        answer=answer,
        department=department,
        paused=bool(pauses) and pauses[-1][1] is None,
    )


def received_at(services: Services, day: date | None) -> datetime | None:
    """The start of the (local) day an offline case was received on; None for other cases."""
    if day is None:
        return None
    return datetime.combine(day, time(0), services.renderer.tz)


def initial(services: Services, category_code: str, created_at: datetime) -> Dues:
    """The deadlines of a case just submitted."""
    return compute(
        created_at=created_at,
        department_code=None,
        steps=(),
        policy=policy_for(services.org, category_code),
        calendar=calendar_of(services),
    )


async def refresh(*, session: AsyncSession, services: Services, case: Case) -> Dues:
    """Recompute the case's due times from its events (call after adding one); sets them."""
    assert case.id is not None
    rows = await session.execute(
        select(
            col(CaseEvent.action),
            col(CaseEvent.from_state),
            col(CaseEvent.to_state),
            col(CaseEvent.created_at),
        )
        .where(col(CaseEvent.case_id) == case.id, col(CaseEvent.to_state).is_not(None))
        .order_by(col(CaseEvent.created_at), col(CaseEvent.id))
    )
    steps = [Step(a, f, t, at) for a, f, t, at in rows]
    assigned_due = None
    if case.kind == Kind.PROPOSAL:
        assigned_due = await deadlines_crud.latest_part_due(session=session, case_id=case.id)
    dues = compute(
        created_at=case.created_at,
        department_code=case.department_code,
        steps=steps,
        policy=policy_for(services.org, case.category_code),
        calendar=calendar_of(services),
        assigned_due=assigned_due,
        received_at=received_at(services, case.received_on),
    )
    case.first_response_due_at = dues.first_response
    case.answer_due_at = dues.answer
    case.department_due_at = dues.department
    session.add(case)
    return dues


def current_due(case: Case) -> datetime | None:
    """The deadline the officers are held to now: the first response until there is one, then
    the answer."""
    return case.first_response_due_at if case.first_response_at is None else case.answer_due_at

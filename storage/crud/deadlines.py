"""Cases by deadline, for the daily reminders: the officers' and each department's.

A department holds its part of a case forwarded (转办) or a proposal assigned (交办) to it, by the
part's own `due_at`, until it has answered; a case forwarded with no part (to a department with
no liaison then) by the case's `department_code` and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Case, CaseEvent, ProposalAssignment, RoleGrant, User

OPEN_FOR_OFFICERS = ("submitted", "accepted", "in_progress", "reopened")
HELD_BY_DEPARTMENT = ("in_progress", "reopened")
# A part the department still owes an answer for (in review, the officers have it).
PART_OWED = ("assigned", "returned")
LIAISON = "liaison"
OFFICER_ROLES = ("officer", "admin")


@dataclass(frozen=True)
class DueCase:
    id: int
    number: str
    category_code: str
    state: str
    department_code: str | None
    created_at: datetime
    due_at: datetime
    actor_name: str | None
    # The officer who answers for it (认领 / 指派), whom the reminder mentions.
    assignee_id: int | None = None
    assignee_name: str | None = None
    # A proposal's departments that still owe their part (its `department_code` is the first).
    owing: tuple[str, ...] = ()
    # 校院两级: who holds it, so its reminder goes to the chat that does.
    level: str = "university"
    college_code: str | None = None


def _due_case(row: Any) -> DueCase:
    due = DueCase(*tuple(row)[:-2])
    return replace(due, level=row[-2], college_code=row[-1])


def last_officer_name() -> Any:
    """The first name of the officer (or admin) who last acted on the case: who holds it.

    Read from the events, not `cases.last_actor_id`, which also names a student who added
    information or rated — a name that must never appear in a group.
    """
    return (
        select(col(User.first_name))
        .join(CaseEvent, col(CaseEvent.actor_id) == col(User.id))
        .where(
            col(CaseEvent.case_id) == col(Case.id),
            col(CaseEvent.actor_role).in_(OFFICER_ROLES),
        )
        .order_by(col(CaseEvent.id).desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def officers_due() -> Any:
    """The deadline officers answer for now: the first response until given, then the answer."""
    return case(
        (col(Case.first_response_at).is_(None), col(Case.first_response_due_at)),
        else_=col(Case.answer_due_at),
    )


def _due_cases(*, department: Any, due_at: Any) -> Any:
    """A `DueCase` row's columns in its order; whose department and which deadline differ
    between the officers' list and a department's."""
    return select(
        col(Case.id),
        col(Case.number),
        col(Case.category_code),
        col(Case.state),
        department,
        col(Case.created_at),
        due_at,
        last_officer_name(),
        col(Case.assignee_id),
        select(col(User.first_name))
        .where(col(User.id) == col(Case.assignee_id))
        .correlate(Case)
        .scalar_subquery(),
        col(Case.level),
        col(Case.college_code),
    )


async def due_for_officers(
    *, session: AsyncSession, before: datetime, limit: int
) -> tuple[list[DueCase], int]:
    """Open cases due before `before`, the most overdue first, and how many there are in all.

    A case waiting for the student (待补充) has no due time, so it never appears.
    """
    due = officers_due()
    where = (col(Case.state).in_(OPEN_FOR_OFFICERS), due < before)
    total = await session.scalar(select(func.count()).select_from(Case).where(*where))
    stmt = (
        _due_cases(department=col(Case.department_code), due_at=due)
        .where(*where)
        .order_by(due, col(Case.id))
        .limit(limit)
    )
    found = [_due_case(row) for row in await session.execute(stmt)]
    owing = await _owing(session=session, case_ids=[c.id for c in found])
    return [replace(c, owing=owing[c.id]) if c.id in owing else c for c in found], int(total or 0)


async def _owing(*, session: AsyncSession, case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    stmt = (
        select(col(ProposalAssignment.case_id), col(ProposalAssignment.department_code))
        .where(
            col(ProposalAssignment.case_id).in_(case_ids),
            col(ProposalAssignment.status).in_(PART_OWED),
        )
        .order_by(col(ProposalAssignment.case_id), col(ProposalAssignment.id))
    )
    owing: dict[int, tuple[str, ...]] = {}
    for case_id, department in await session.execute(stmt):
        owing[case_id] = (*owing.get(case_id, ()), department)
    return owing


async def due_for_department(
    *, session: AsyncSession, department: str, before: datetime, limit: int
) -> tuple[list[DueCase], int]:
    """What the department holds whose deadline falls before `before`: its parts by each
    part's own due time, cases forwarded to it without parts by their department clock."""
    has_parts = (
        select(col(ProposalAssignment.id))
        .where(col(ProposalAssignment.case_id) == col(Case.id))
        .correlate(Case)
        .exists()
    )
    forwarded: Any = select(
        col(Case.id).label("id"),
        col(Case.department_due_at).label("due_at"),
    ).where(
        col(Case.kind) != "proposal",
        col(Case.state).in_(HELD_BY_DEPARTMENT),
        col(Case.department_code) == department,
        col(Case.department_due_at) < before,
        ~has_parts,
    )
    # `department_code` names only the lead department: the parts say who owes.
    parts: Any = (
        select(
            col(ProposalAssignment.case_id).label("id"),
            col(ProposalAssignment.due_at).label("due_at"),
        )
        .join(Case, col(Case.id) == col(ProposalAssignment.case_id))
        .where(
            col(ProposalAssignment.department_code) == department,
            col(ProposalAssignment.status).in_(PART_OWED),
            col(ProposalAssignment.due_at) < before,
            col(Case.state).in_(HELD_BY_DEPARTMENT),
        )
    )
    held = union_all(forwarded, parts).subquery("held")
    total = await session.scalar(select(func.count()).select_from(held))
    stmt = (
        _due_cases(department=literal(department), due_at=held.c.due_at)
        .select_from(held)
        .join(Case, col(Case.id) == held.c.id)
        .order_by(held.c.due_at, col(Case.id))
        .limit(limit)
    )
    rows: Any = await session.execute(stmt)
    return [_due_case(row) for row in rows], int(total or 0)


async def latest_part_due(*, session: AsyncSession, case_id: int) -> datetime | None:
    """The latest deadline of a proposal's department parts (None before 交办)."""
    stmt = select(func.max(col(ProposalAssignment.due_at))).where(
        col(ProposalAssignment.case_id) == case_id
    )
    return await session.scalar(stmt)


async def liaisons(*, session: AsyncSession) -> list[tuple[User, str]]:
    """Each department liaison with the department they answer for."""
    stmt = (
        select(User, col(RoleGrant.department_code))
        .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(RoleGrant.role) == LIAISON, col(RoleGrant.department_code) != "")
        .order_by(col(RoleGrant.department_code), col(User.id))
    )
    return [(user, department) for user, department in (await session.execute(stmt)).all()]

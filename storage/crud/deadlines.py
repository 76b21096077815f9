"""Cases by deadline, for the daily reminders: the officers' and each department's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Case, RoleGrant, User

OPEN_FOR_OFFICERS = ("submitted", "accepted", "in_progress", "reopened")
HELD_BY_DEPARTMENT = ("in_progress", "reopened")
LIAISON = "liaison"


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


def officers_due() -> Any:
    """The deadline officers answer for now: the first response until given, then the answer."""
    return case(
        (col(Case.first_response_at).is_(None), col(Case.first_response_due_at)),
        else_=col(Case.answer_due_at),
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
        select(
            col(Case.id),
            col(Case.number),
            col(Case.category_code),
            col(Case.state),
            col(Case.department_code),
            col(Case.created_at),
            due,
            col(User.first_name),
        )
        .outerjoin(User, col(User.id) == col(Case.last_actor_id))
        .where(*where)
        .order_by(due, col(Case.id))
        .limit(limit)
    )
    rows = await session.execute(stmt)
    return [DueCase(*row) for row in rows], int(total or 0)


async def due_for_department(
    *, session: AsyncSession, department: str, before: datetime, limit: int
) -> tuple[list[DueCase], int]:
    """Cases the department holds whose department deadline falls before `before`."""
    where = (
        col(Case.state).in_(HELD_BY_DEPARTMENT),
        col(Case.department_code) == department,
        col(Case.department_due_at) < before,
    )
    total = await session.scalar(select(func.count()).select_from(Case).where(*where))
    stmt = (
        select(
            col(Case.id),
            col(Case.number),
            col(Case.category_code),
            col(Case.state),
            col(Case.department_code),
            col(Case.created_at),
            col(Case.department_due_at),
            col(User.first_name),
        )
        .outerjoin(User, col(User.id) == col(Case.last_actor_id))
        .where(*where)
        .order_by(col(Case.department_due_at), col(Case.id))
        .limit(limit)
    )
    rows: Any = await session.execute(stmt)
    return [DueCase(*row) for row in rows], int(total or 0)


async def liaisons(*, session: AsyncSession) -> list[tuple[User, str]]:
    """Each department liaison with the department they answer for."""
    stmt = (
        select(User, col(RoleGrant.department_code))
        .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(RoleGrant.role) == LIAISON, col(RoleGrant.department_code) != "")
        .order_by(col(RoleGrant.department_code), col(User.id))
    )
    return [(user, department) for user, department in (await session.execute(stmt)).all()]

"""Departments' parts of cases: one row per department a case is forwarded (转办) or a proposal
assigned (交办) to, with its answer on the way out; and who answers for each department."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import add_all, fresh
from storage.models import ProposalAssignment, RoleGrant, User

LIAISON = "liaison"


async def add_assignments(
    *, session: AsyncSession, rows: Sequence[ProposalAssignment]
) -> list[ProposalAssignment]:
    return await add_all(session, rows)


async def assignments_of(*, session: AsyncSession, case_id: int) -> list[ProposalAssignment]:
    stmt = (
        select(ProposalAssignment)
        .where(col(ProposalAssignment.case_id) == case_id)
        .order_by(col(ProposalAssignment.id))
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def get_assignment(
    *, session: AsyncSession, assignment_id: int, for_update: bool = False
) -> ProposalAssignment | None:
    return await fresh(session, ProposalAssignment, assignment_id, for_update=for_update)


async def liaisons_of(*, session: AsyncSession, department: str) -> list[User]:
    stmt = (
        select(User)
        .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(RoleGrant.role) == LIAISON, col(RoleGrant.department_code) == department)
        .order_by(col(User.id))
    )
    return list(await session.scalars(stmt))


async def liaison_departments(*, session: AsyncSession, user_id: int) -> set[str]:
    stmt = select(col(RoleGrant.department_code)).where(
        col(RoleGrant.user_id) == user_id, col(RoleGrant.role) == LIAISON
    )
    return set(await session.scalars(stmt))

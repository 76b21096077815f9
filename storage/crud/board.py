"""What the public web board reads: registered proposals as anyone may see them, filtered and
searched. Only cases (and their department parts) are read here; nothing about a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud.search import text_conditions
from storage.models import Case, CongressSession, Proposal, ProposalAssignment


async def public_proposals(
    *,
    session: AsyncSession,
    states: Sequence[str],
    hidden_categories: Sequence[str],
    category: str | None,
    department: str | None,
    terms: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[tuple[Case, Proposal, CongressSession]], int]:
    """Proposals in `states`, never in `hidden_categories`, newest first, with their total;
    `department`: only those one of whose parts went to it."""
    conditions: list[Any] = [
        col(Case.state).in_(states),
        col(Case.category_code).not_in(hidden_categories),
        *text_conditions(session, terms),
    ]
    if category is not None:
        conditions.append(col(Case.category_code) == category)
    if department is not None:
        parts = select(col(ProposalAssignment.case_id)).where(
            col(ProposalAssignment.department_code) == department
        )
        conditions.append(col(Case.id).in_(parts))
    base = (
        select(Case, Proposal, CongressSession)
        .join(Proposal, col(Proposal.case_id) == col(Case.id))
        .join(CongressSession, col(CongressSession.id) == col(Proposal.session_id))
        .where(*conditions)
    )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(limit).offset(offset)
    )
    return [(case, proposal, congress) for case, proposal, congress in rows.all()], int(total or 0)


async def public_proposal(
    *, session: AsyncSession, number: str, states: Sequence[str], hidden_categories: Sequence[str]
) -> Case | None:
    """The proposal numbered `number` if the public may see it, else None."""
    case = await session.scalar(
        select(Case)
        .join(Proposal, col(Proposal.case_id) == col(Case.id))
        .where(
            col(Case.number) == number,
            col(Case.state).in_(states),
            col(Case.category_code).not_in(hidden_categories),
        )
    )
    return case

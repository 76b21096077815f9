"""What the public web board reads: registered proposals, published concerns (their public
wording) and town-hall sessions, as anyone may see them, filtered and searched. Nothing about a
person is read here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud.search import text_conditions
from storage.models import (
    Case,
    CasePublication,
    CongressSession,
    Proposal,
    ProposalAssignment,
    ProposalSupport,
    TownHall,
)


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


async def public_concerns(
    *,
    session: AsyncSession,
    states: Sequence[str],
    hidden_categories: Sequence[str],
    category: str | None,
    words: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[tuple[Case, CasePublication, int]], int]:
    """Published concerns in `states`, never in `hidden_categories`, newest published first,
    with their supports (+1) and their total.

    Searched in the public wording alone (and the number): a search of the student's own text
    would tell the public which words the officers took out of it."""
    supports = (
        select(col(ProposalSupport.case_id).label("case_id"), func.count().label("n"))
        .group_by(col(ProposalSupport.case_id))
        .subquery("supports")
    )
    n = func.coalesce(supports.c.n, 0)
    conditions: list[Any] = [
        col(CasePublication.status) == "published",
        col(Case.state).in_(states),
        col(Case.category_code).not_in(hidden_categories),
    ]
    if category is not None:
        conditions.append(col(Case.category_code) == category)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                col(CasePublication.public_text).ilike(f"%{escaped}%", escape="\\"),
                col(Case.number) == word.upper(),
            )
        )
    joined = (
        select(Case)
        .join(CasePublication, col(CasePublication.case_id) == col(Case.id))
        .where(*conditions)
    )
    total = await session.scalar(select(func.count()).select_from(joined.subquery()))
    rows = await session.execute(
        select(Case, CasePublication, n)
        .join(CasePublication, col(CasePublication.case_id) == col(Case.id))
        .outerjoin(supports, supports.c.case_id == col(Case.id))
        .where(*conditions)
        .order_by(col(CasePublication.published_at).desc(), col(Case.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return [(case, pub, int(count)) for case, pub, count in rows.all()], int(total or 0)


async def public_concern(
    *, session: AsyncSession, number: str, states: Sequence[str], hidden_categories: Sequence[str]
) -> tuple[Case, CasePublication] | None:
    """The published concern numbered `number` if the public may see it, else None."""
    row = (
        await session.execute(
            select(Case, CasePublication)
            .join(CasePublication, col(CasePublication.case_id) == col(Case.id))
            .where(
                col(Case.number) == number,
                col(CasePublication.status) == "published",
                col(Case.state).in_(states),
                col(Case.category_code).not_in(hidden_categories),
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def town_halls(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[list[TownHall], int]:
    """Town-hall sessions, the latest held first, with their total."""
    total = await session.scalar(select(func.count()).select_from(TownHall))
    rows = await session.scalars(
        select(TownHall)
        .order_by(col(TownHall.held_at).desc(), col(TownHall.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def town_hall(*, session: AsyncSession, town_hall_id: int) -> TownHall | None:
    return await session.get(TownHall, town_hall_id)


async def support_count(*, session: AsyncSession, case_id: int) -> int:
    total = await session.scalar(
        select(func.count()).where(col(ProposalSupport.case_id) == case_id)
    )
    return int(total or 0)

"""Shared concerns: public versions of cases, the board's listings, supports (+1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import fresh
from storage.crud._upsert import insert_for
from storage.models import Case, CasePublication, ProposalSupport
from storage.types import utcnow

ORDERS = ("new", "top")


async def get(
    *, session: AsyncSession, case_id: int, for_update: bool = False
) -> CasePublication | None:
    return await fresh(session, CasePublication, case_id, for_update=for_update)


async def request(*, session: AsyncSession, case_id: int, now: datetime) -> CasePublication:
    row = CasePublication(case_id=case_id, status="requested", requested_at=now)
    session.add(row)
    await session.flush()
    return row


async def add_support(*, session: AsyncSession, case_id: int, user_id: int) -> bool:
    """True when it is this person's first +1 on the case."""
    stmt = insert_for(session, ProposalSupport).values(
        case_id=case_id, user_id=user_id, created_at=utcnow()
    )
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def supporter_ids(*, session: AsyncSession, case_id: int) -> list[int]:
    stmt = select(col(ProposalSupport.user_id)).where(
        col(ProposalSupport.case_id) == case_id, col(ProposalSupport.user_id) > 0
    )
    return list(await session.scalars(stmt))


async def add_supports(*, session: AsyncSession, case_id: int, user_ids: Sequence[int]) -> None:
    if not user_ids:
        return
    now = utcnow()
    stmt = insert_for(session, ProposalSupport).values(
        [{"case_id": case_id, "user_id": uid, "created_at": now} for uid in user_ids]
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def support_counts(*, session: AsyncSession, case_ids: Sequence[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    stmt = (
        select(col(ProposalSupport.case_id), func.count())
        .where(col(ProposalSupport.case_id).in_(case_ids))
        .group_by(col(ProposalSupport.case_id))
    )
    return {case_id: int(n) for case_id, n in (await session.execute(stmt)).all()}


async def published(
    *,
    session: AsyncSession,
    order: str,
    category: str | None,
    words: str | None,
    hidden_states: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[tuple[Case, CasePublication, int]], int]:
    """A page of the published cases, (case, its public version, supports), and how many.

    Searched in the public wording alone: a search of the student's own text would tell the
    public which words the officers took out of it."""
    supports = (
        select(col(ProposalSupport.case_id).label("case_id"), func.count().label("n"))
        .group_by(col(ProposalSupport.case_id))
        .subquery("supports")
    )
    n = func.coalesce(supports.c.n, 0)
    conditions = [
        col(CasePublication.status) == "published",
        col(Case.state).not_in(hidden_states),
    ]
    if category:
        conditions.append(col(Case.category_code) == category)
    for word in (words or "").split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                col(CasePublication.public_text).ilike(f"%{escaped}%", escape="\\"),
                col(Case.number) == word.upper(),
            )
        )
    base = (
        select(Case, CasePublication, n.label("n"))
        .join(CasePublication, col(CasePublication.case_id) == col(Case.id))
        .outerjoin(supports, supports.c.case_id == col(Case.id))
        .where(*conditions)
    )
    total_stmt = (
        select(func.count())
        .select_from(Case)
        .join(CasePublication, col(CasePublication.case_id) == col(Case.id))
        .where(*conditions)
    )
    total = int(await session.scalar(total_stmt) or 0)
    newest = (col(CasePublication.published_at).desc(), col(Case.id).desc())
    ordering = (n.desc(), *newest) if order == "top" else newest
    rows = (await session.execute(base.order_by(*ordering).limit(limit).offset(offset))).all()
    return [(case, pub, int(count)) for case, pub, count in rows], total

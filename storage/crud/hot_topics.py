"""Hot topics for the digest: the most supported and the most reported cases of a period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, ColumnElement, and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import col

from storage.crud.digest import NOT_SUBMITTED, OPEN, Range, unindexed
from storage.models import Case, CaseFollower


@dataclass(frozen=True)
class HotCase:
    number: str
    category_code: str
    college_code: str | None
    state: str
    anonymous: bool
    excerpt: str
    reports: int
    followers: int


def _live(span: Range) -> ColumnElement[bool]:
    """A case that mattered during the span: in by its end, and open then or finished within
    it (answered, or closed without an answer) — not a case long settled, nor a proposal that
    never reached the officers (its co-signers follow it, which is not support)."""
    # The open, answered and closed cases are each found through an index; the whole
    # condition is then checked on those few alone.
    candidates = union_all(
        select(col(Case.id)).where(col(Case.state).in_(OPEN)),
        select(col(Case.id)).where(col(Case.answered_at) >= span[0]),
        select(col(Case.id)).where(col(Case.answered_at).is_(None), col(Case.closed_at) >= span[0]),
    )
    return and_(
        col(Case.id).in_(candidates),
        unindexed(col(Case.created_at)) < span[1],
        col(Case.state).not_in(("merged", *NOT_SUBMITTED)),
        or_(
            col(Case.state).in_(OPEN),
            func.coalesce(col(Case.answered_at), col(Case.closed_at)) >= span[0],
        ),
    )


def _per_live_case(
    live: CTE, case_id: Mapped[Any], created_at: Mapped[Any], span: Range, name: str
) -> CTE:
    """How many rows point at each live case (`case_id`, `n`), counting those made before the
    span ended."""
    return (
        select(case_id.label("case_id"), func.count().label("n"))
        .where(case_id.in_(select(live.c.id)), created_at < span[1])
        .group_by(case_id)
        .cte(name)
    )


async def hot_topics(
    *, session: AsyncSession, span: Range, limit: int
) -> tuple[list[HotCase], list[HotCase]]:
    """(most supported, most reported) among the cases live during the span, in one query.

    Supported: the most followers (我也遇到). Reported: the case itself, the duplicates merged
    into it, and its followers. The live cases are found once, and followers and duplicates
    are counted for them alone (through indexes), so the cost follows them, not the history.
    """
    live = select(col(Case.id)).where(_live(span)).cte("live")
    followers = _per_live_case(
        live, col(CaseFollower.case_id), col(CaseFollower.created_at), span, "f"
    )
    duplicate = aliased(Case)
    merged = _per_live_case(
        live, col(duplicate.merged_into_id), col(duplicate.created_at), span, "m"
    )
    n_followers = func.coalesce(followers.c.n, 0)
    reports = 1 + func.coalesce(merged.c.n, 0) + n_followers
    ranked = (
        select(
            col(Case.number).label("number"),
            col(Case.category_code).label("category_code"),
            col(Case.college_code).label("college_code"),
            col(Case.state).label("state"),
            col(Case.anonymous).label("anonymous"),
            func.substr(col(Case.text), 1, 60).label("excerpt"),
            reports.label("reports"),
            n_followers.label("followers"),
            func.row_number()
            .over(order_by=(n_followers.desc(), col(Case.id)))
            .label("by_followers"),
            func.row_number()
            .over(order_by=(reports.desc(), n_followers.desc(), col(Case.id)))
            .label("by_reports"),
        )
        .select_from(live)
        .join(Case, col(Case.id) == live.c.id)
        .outerjoin(followers, followers.c.case_id == live.c.id)
        .outerjoin(merged, merged.c.case_id == live.c.id)
        .where(or_(followers.c.n > 0, merged.c.n > 0))
        .subquery("ranked")
    )
    rows = (
        await session.execute(
            select(ranked).where(or_(ranked.c.by_followers <= limit, ranked.c.by_reports <= limit))
        )
    ).all()
    supported = sorted((r for r in rows if r.followers > 0), key=lambda r: r.by_followers)
    reported = sorted(rows, key=lambda r: r.by_reports)
    return (
        [HotCase(*r[:8]) for r in supported[:limit]],
        [HotCase(*r[:8]) for r in reported[:limit]],
    )

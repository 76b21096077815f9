"""Hot topics for the digest: the cases of a period with the most supporters and the most
people concerned, counting people rather than rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, ColumnElement, and_, func, or_, select, union, union_all
from sqlalchemy import case as sa_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import col

from storage.crud.digest import NOT_SUBMITTED, OPEN, Range, unindexed
from storage.models import Case, CaseFollower, ProposalCosign, ProposalSupport


@dataclass(frozen=True)
class HotCase:
    number: str
    category_code: str
    college_code: str | None
    state: str
    anonymous: bool
    excerpt: str
    # Distinct people concerned (submitters, of the case and of the duplicates merged into
    # it, and supporters, each once), and supporters alone.
    people: int
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


def _backers(live: CTE, span: Range) -> CTE:
    """(case_id, user_id) of everyone who joined a live case before the span ended, each once:
    its followers (我也遇到 follows), its supporters (+1) and a proposal's co-signers (附议)."""
    end = span[1]

    def joined(case_id: Any, user_id: Any, created_at: Any, *more: Any) -> Any:
        return select(case_id.label("case_id"), user_id.label("user_id")).where(
            case_id.in_(select(live.c.id)), created_at < end, *more
        )

    return union(
        joined(col(CaseFollower.case_id), col(CaseFollower.user_id), col(CaseFollower.created_at)),
        joined(
            col(ProposalSupport.case_id),
            col(ProposalSupport.user_id),
            col(ProposalSupport.created_at),
        ),
        joined(
            col(ProposalCosign.case_id),
            col(ProposalCosign.user_id),
            col(ProposalCosign.created_at),
            col(ProposalCosign.agreed),
            col(ProposalCosign.user_id).is_not(None),
        ),
    ).cte("backers")


def _known_submitters(live: CTE, span: Range) -> CTE:
    """(case_id, user_id) of the named submitters of a live case and of its merged duplicates."""
    duplicate = aliased(Case)
    return union(
        select(col(Case.id).label("case_id"), col(Case.submitter_id).label("user_id")).where(
            col(Case.id).in_(select(live.c.id)), col(Case.submitter_id).is_not(None)
        ),
        select(
            col(duplicate.merged_into_id).label("case_id"),
            col(duplicate.submitter_id).label("user_id"),
        ).where(
            col(duplicate.merged_into_id).in_(select(live.c.id)),
            col(duplicate.submitter_id).is_not(None),
            col(duplicate.created_at) < span[1],
        ),
    ).cte("submitters")


def _counted(cte: CTE, name: str, *where: Any) -> CTE:
    return (
        select(cte.c.case_id, func.count().label("n"))
        .where(*where)
        .group_by(cte.c.case_id)
        .cte(name)
    )


async def hot_topics(
    *, session: AsyncSession, span: Range, limit: int
) -> tuple[list[HotCase], list[HotCase]]:
    """(most supported, most people concerned) among the cases live during the span, in one
    query.

    People, not rows, each person once per case. Supported: those who joined it (followers,
    +1, a proposal's co-signers), not counting its submitters. Concerned: its submitters (the
    case's own and its merged duplicates', an anonymous one each counted as one person) and its
    supporters. The live cases are found once, and the rest is counted for them alone
    (through indexes), so the cost follows them, not the history.
    """
    live = select(col(Case.id)).where(_live(span)).cte("live")
    backers = _backers(live, span)
    submitters = _known_submitters(live, span)
    is_submitter = (
        select(submitters.c.user_id)
        .where(
            submitters.c.case_id == backers.c.case_id,
            submitters.c.user_id == backers.c.user_id,
        )
        .exists()
    )
    supporters = _counted(backers, "b", ~is_submitter)
    named = _counted(submitters, "s")
    duplicate = aliased(Case)
    merged = _per_live_case(
        live, col(duplicate.merged_into_id), col(duplicate.created_at), span, "m"
    )
    unnamed_duplicate = aliased(Case)
    merged_unnamed = (
        select(col(unnamed_duplicate.merged_into_id).label("case_id"), func.count().label("n"))
        .where(
            col(unnamed_duplicate.merged_into_id).in_(select(live.c.id)),
            col(unnamed_duplicate.created_at) < span[1],
            col(unnamed_duplicate.submitter_id).is_(None),
        )
        .group_by(col(unnamed_duplicate.merged_into_id))
        .cte("mu")
    )
    n_supporters = func.coalesce(supporters.c.n, 0)
    unnamed_self = sa_case((col(Case.submitter_id).is_(None), 1), else_=0)
    people = (
        n_supporters
        + func.coalesce(named.c.n, 0)
        + func.coalesce(merged_unnamed.c.n, 0)
        + unnamed_self
    )
    ranked = (
        select(
            col(Case.number).label("number"),
            col(Case.category_code).label("category_code"),
            col(Case.college_code).label("college_code"),
            col(Case.state).label("state"),
            col(Case.anonymous).label("anonymous"),
            func.substr(col(Case.text), 1, 60).label("excerpt"),
            people.label("people"),
            n_supporters.label("followers"),
            func.row_number()
            .over(order_by=(n_supporters.desc(), col(Case.id)))
            .label("by_followers"),
            func.row_number()
            .over(order_by=(people.desc(), n_supporters.desc(), col(Case.id)))
            .label("by_people"),
        )
        .select_from(live)
        .join(Case, col(Case.id) == live.c.id)
        .outerjoin(supporters, supporters.c.case_id == live.c.id)
        .outerjoin(named, named.c.case_id == live.c.id)
        .outerjoin(merged, merged.c.case_id == live.c.id)
        .outerjoin(merged_unnamed, merged_unnamed.c.case_id == live.c.id)
        .where(or_(supporters.c.n > 0, merged.c.n > 0))
        .subquery("ranked")
    )
    rows = (
        await session.execute(
            select(ranked).where(or_(ranked.c.by_followers <= limit, ranked.c.by_people <= limit))
        )
    ).all()
    supported = sorted((r for r in rows if r.followers > 0), key=lambda r: r.by_followers)
    concerned = sorted(rows, key=lambda r: r.by_people)
    return (
        [HotCase(*r[:8]) for r in supported[:limit]],
        [HotCase(*r[:8]) for r in concerned[:limit]],
    )

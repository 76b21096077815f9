"""Representatives and their college's cases: who is one now, the cases they may list, and
the cases they follow (关注)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import numbers_linked
from storage.crud._upsert import insert_for
from storage.models import Case, CollegeFollow, CongressSession, Representative, User


async def current_entry(*, session: AsyncSession, user_id: int) -> Representative | None:
    """The user's roster entry in the newest congress session: a representative of an earlier
    term, not elected again, no longer is one."""
    newest = (
        select(col(CongressSession.id))
        .order_by(col(CongressSession.opens_at).desc(), col(CongressSession.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(Representative).where(
        col(Representative.user_id) == user_id, col(Representative.session_id) == newest
    )
    return (await session.scalars(stmt.limit(1))).first()


def _listed(
    college: str, kinds: Sequence[str], hidden_categories: Sequence[str]
) -> list[ColumnElement[bool]]:
    return [
        col(Case.college_code) == college,
        col(Case.kind).in_(list(kinds)),
        col(Case.category_code).not_in(list(hidden_categories)),
    ]


async def college_cases(
    *,
    session: AsyncSession,
    college: str,
    kinds: Sequence[str],
    hidden_categories: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[Case], int]:
    """A page of the college's cases, newest first, and how many there are."""
    where = _listed(college, kinds, hidden_categories)
    total = await session.scalar(select(func.count()).select_from(Case).where(*where))
    stmt = (
        select(Case)
        .where(*where)
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(stmt)), int(total or 0)


async def followed_among(
    *, session: AsyncSession, user_id: int, case_ids: Sequence[int]
) -> set[int]:
    if not case_ids:
        return set()
    stmt = select(col(CollegeFollow.case_id)).where(
        col(CollegeFollow.user_id) == user_id, col(CollegeFollow.case_id).in_(list(case_ids))
    )
    return set(await session.scalars(stmt))


async def follow(*, session: AsyncSession, case_id: int, user_id: int) -> None:
    stmt = insert_for(session, CollegeFollow).values(case_id=case_id, user_id=user_id)
    await session.execute(stmt.on_conflict_do_nothing())


async def unfollow(*, session: AsyncSession, case_id: int, user_id: int) -> None:
    await session.execute(
        delete(CollegeFollow).where(
            col(CollegeFollow.case_id) == case_id, col(CollegeFollow.user_id) == user_id
        )
    )


async def followers(*, session: AsyncSession, case_id: int) -> list[User]:
    stmt = (
        select(User)
        .join(CollegeFollow, col(CollegeFollow.user_id) == col(User.id))
        .where(col(CollegeFollow.case_id) == case_id)
        .order_by(col(User.id))
    )
    return list(await session.scalars(stmt))


async def follows_of(*, session: AsyncSession, user_id: int) -> list[str]:
    """The numbers of the cases the user follows as a representative."""
    return await numbers_linked(session, CollegeFollow, user_id)


async def forget_user(*, session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(CollegeFollow).where(col(CollegeFollow.user_id) == user_id))

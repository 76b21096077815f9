"""Semester reviews (`bot.reviews`): rounds, reviewees, the panel, drafts and ballots."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._upsert import supports_skip_locked
from storage.models_reviews import PanelMember, ReviewBallot, ReviewDraft, Reviewee, ReviewRound


async def add_round(
    *,
    session: AsyncSession,
    review: ReviewRound,
    reviewees: Sequence[Reviewee],
    panel: Sequence[PanelMember],
) -> ReviewRound:
    session.add(review)
    await session.flush()
    assert review.id is not None
    for item in [*reviewees, *panel]:
        item.round_id = review.id
        session.add(item)
    await session.flush()
    return review


async def round_by_semester(*, session: AsyncSession, semester: str) -> ReviewRound | None:
    stmt = select(ReviewRound).where(col(ReviewRound.semester) == semester)
    return (await session.scalars(stmt)).first()


async def get_round(
    *, session: AsyncSession, round_id: int, for_update: bool = False
) -> ReviewRound | None:
    stmt = select(ReviewRound).where(col(ReviewRound.id) == round_id)
    if for_update and supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def latest_round(*, session: AsyncSession) -> ReviewRound | None:
    stmt = select(ReviewRound).order_by(col(ReviewRound.id).desc()).limit(1)
    return (await session.scalars(stmt)).first()


async def open_rounds(*, session: AsyncSession) -> list[ReviewRound]:
    stmt = select(ReviewRound).where(col(ReviewRound.closed_at).is_(None))
    return list(await session.scalars(stmt.order_by(col(ReviewRound.id))))


async def reviewees(*, session: AsyncSession, round_id: int) -> list[Reviewee]:
    stmt = select(Reviewee).where(col(Reviewee.round_id) == round_id)
    return list(await session.scalars(stmt.order_by(col(Reviewee.position))))


async def panel(*, session: AsyncSession, round_id: int) -> list[PanelMember]:
    stmt = select(PanelMember).where(col(PanelMember.round_id) == round_id)
    return list(await session.scalars(stmt.order_by(col(PanelMember.id))))


async def seat_of(
    *, session: AsyncSession, round_id: int, user_id: int, for_update: bool = False
) -> PanelMember | None:
    stmt = select(PanelMember).where(
        col(PanelMember.round_id) == round_id, col(PanelMember.user_id) == user_id
    )
    if for_update and supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def seats_of_user(*, session: AsyncSession, user_id: int) -> list[PanelMember]:
    stmt = select(PanelMember).where(col(PanelMember.user_id) == user_id)
    return list(await session.scalars(stmt.order_by(col(PanelMember.round_id).desc())))


async def seat_by_invite(*, session: AsyncSession, invite_hash: str) -> PanelMember | None:
    stmt = select(PanelMember).where(col(PanelMember.invite_hash) == invite_hash)
    if supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def draft_of(*, session: AsyncSession, member_id: int) -> ReviewDraft | None:
    return await session.get(ReviewDraft, member_id)


async def save_draft(*, session: AsyncSession, draft: ReviewDraft) -> None:
    session.add(draft)
    await session.flush()


async def cast(
    *, session: AsyncSession, member: PanelMember, rows: Sequence[dict[str, Any]]
) -> None:
    """The member has voted; their ballots join the round's and the draft goes, at once.

    Every ballot of the round is written again, under new random keys, in a random order: the
    rows of this submission are then not told apart from the earlier ones by their keys, their
    place in the table (SQLite's rowid, PostgreSQL's heap) or the transaction that wrote them.
    """
    member.voted = True
    session.add(member)
    await session.execute(delete(ReviewDraft).where(col(ReviewDraft.member_id) == member.id))
    kept = select(ReviewBallot).where(col(ReviewBallot.round_id) == member.round_id)
    earlier = [{c: getattr(b, c) for c in BALLOT_FIELDS} for b in await session.scalars(kept)]
    await session.execute(delete(ReviewBallot).where(col(ReviewBallot.round_id) == member.round_id))
    mixed = [*earlier, *rows]
    random.SystemRandom().shuffle(mixed)
    if mixed:
        await session.execute(
            insert(ReviewBallot),
            [{"id": str(uuid.uuid4()), "round_id": member.round_id, **row} for row in mixed],
        )
    await session.flush()


BALLOT_FIELDS = (
    "reviewee_id",
    "political",
    "moral",
    "study",
    "work",
    "discipline",
    "comment",
)


async def ballots(*, session: AsyncSession, round_id: int) -> list[ReviewBallot]:
    stmt = select(ReviewBallot).where(col(ReviewBallot.round_id) == round_id)
    return list(await session.scalars(stmt))


async def voted_count(*, session: AsyncSession, round_id: int) -> int:
    stmt = select(func.count()).where(
        col(PanelMember.round_id) == round_id, col(PanelMember.voted).is_(True)
    )
    return int(await session.scalar(stmt) or 0)


async def close(*, session: AsyncSession, review: ReviewRound, now: datetime) -> None:
    review.closed_at = now
    session.add(review)
    # What nobody submitted is nobody's vote: the drafts of the round go with it.
    seats = select(col(PanelMember.id)).where(col(PanelMember.round_id) == review.id)
    await session.execute(delete(ReviewDraft).where(col(ReviewDraft.member_id).in_(seats)))
    await session.flush()


async def seats_with_rounds(
    *, session: AsyncSession, user_id: int
) -> list[tuple[PanelMember, ReviewRound]]:
    """The person's seats on review panels (for /mydata): never their ballots, which name no
    one."""
    stmt = (
        select(PanelMember, ReviewRound)
        .join(ReviewRound, col(ReviewRound.id) == col(PanelMember.round_id))
        .where(col(PanelMember.user_id) == user_id)
        .order_by(col(PanelMember.id))
    )
    return [(seat, review) for seat, review in (await session.execute(stmt)).all()]


async def forget_user(*, session: AsyncSession, user_id: int) -> None:
    """Erasure: the seat stays (the panel's size is the turnout's base), unlinked from them."""
    await session.execute(
        update(PanelMember).where(col(PanelMember.user_id) == user_id).values(user_id=None)
    )

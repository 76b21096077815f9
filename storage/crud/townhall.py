"""Town halls (面对面): sessions, questions, votes and the students who opted in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._upsert import insert_for
from storage.models import TownHall, TownHallOptIn, TownHallQuestion, TownHallVote, User


@dataclass(frozen=True)
class PublicQuestion:
    """A question as anyone may see it: never who asked."""

    id: int
    text: str
    status: str
    votes: int
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    case_id: int | None


async def add_town_hall(*, session: AsyncSession, town_hall: TownHall) -> TownHall:
    session.add(town_hall)
    await session.flush()
    return town_hall


async def get_town_hall(
    *, session: AsyncSession, town_hall_id: int, lock: str | None = None
) -> TownHall | None:
    """`lock`: "update" to change the session, "share" to act on it as it stands (a
    cancellation waits for the question or vote, and the other way round)."""
    stmt = select(TownHall).where(col(TownHall.id) == town_hall_id)
    if lock == "update":
        stmt = stmt.with_for_update()
    elif lock == "share":
        stmt = stmt.with_for_update(read=True)
    return (await session.scalars(stmt)).first()


async def questions_of(*, session: AsyncSession, town_hall_id: int) -> list[TownHallQuestion]:
    stmt = (
        select(TownHallQuestion)
        .where(col(TownHallQuestion.town_hall_id) == town_hall_id)
        .order_by(col(TownHallQuestion.id))
    )
    return list(await session.scalars(stmt))


async def session_voter_ids(*, session: AsyncSession, town_hall_id: int) -> list[int]:
    """Everyone who upvoted a question of the session (a purged vote's stand-in is nobody)."""
    stmt = (
        select(col(TownHallVote.user_id))
        .join(TownHallQuestion, col(TownHallQuestion.id) == col(TownHallVote.question_id))
        .where(col(TownHallQuestion.town_hall_id) == town_hall_id, col(TownHallVote.user_id) > 0)
        .distinct()
        .order_by(col(TownHallVote.user_id))
    )
    return list(await session.scalars(stmt))


async def town_halls_after(*, session: AsyncSession, moment: datetime) -> list[TownHall]:
    """Sessions not yet held, the nearest first."""
    stmt = select(TownHall).where(col(TownHall.held_at) >= moment).order_by(col(TownHall.held_at))
    return list(await session.scalars(stmt))


async def add_question(*, session: AsyncSession, question: TownHallQuestion) -> TownHallQuestion:
    session.add(question)
    await session.flush()
    return question


async def get_question(
    *, session: AsyncSession, question_id: int, for_update: bool = False
) -> TownHallQuestion | None:
    stmt = select(TownHallQuestion).where(col(TownHallQuestion.id) == question_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def add_vote(*, session: AsyncSession, question_id: int, user_id: int) -> bool:
    """False when the person had voted for it already."""
    stmt = insert_for(session, TownHallVote).values(question_id=question_id, user_id=user_id)
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def voter_ids(*, session: AsyncSession, question_id: int) -> list[int]:
    stmt = (
        select(col(TownHallVote.user_id))
        .where(col(TownHallVote.question_id) == question_id)
        .order_by(col(TownHallVote.user_id))
    )
    return list(await session.scalars(stmt))


async def move_votes(
    *, session: AsyncSession, source_id: int, target_id: int, skip: Sequence[int] = ()
) -> None:
    """A merged question's votes go to the one it was merged into, each person's once."""
    voters = [uid for uid in await voter_ids(session=session, question_id=source_id)]
    wanted = [uid for uid in voters if uid not in set(skip)]
    if wanted:
        stmt = insert_for(session, TownHallVote).values(
            [{"question_id": target_id, "user_id": uid} for uid in wanted]
        )
        await session.execute(stmt.on_conflict_do_nothing())
    await session.execute(delete(TownHallVote).where(col(TownHallVote.question_id) == source_id))


async def ranked(
    *, session: AsyncSession, town_hall_id: int, statuses: Sequence[str]
) -> list[PublicQuestion]:
    """A session's questions of these statuses, most votes first (then the oldest)."""
    votes = (
        select(col(TownHallVote.question_id), func.count().label("votes"))
        .group_by(col(TownHallVote.question_id))
        .subquery()
    )
    count = func.coalesce(votes.c.votes, 0)
    stmt = (
        select(TownHallQuestion, count)
        .outerjoin(votes, votes.c.question_id == col(TownHallQuestion.id))
        .where(
            col(TownHallQuestion.town_hall_id) == town_hall_id,
            col(TownHallQuestion.status).in_(list(statuses)),
        )
        .order_by(count.desc(), col(TownHallQuestion.created_at), col(TownHallQuestion.id))
    )
    rows = (await session.execute(stmt)).all()
    return [
        PublicQuestion(
            id=q.id or 0,
            text=q.text,
            status=q.status,
            votes=int(n),
            answer=q.answer,
            answered_by=q.answered_by,
            answered_at=q.answered_at,
            case_id=q.case_id,
        )
        for q, n in rows
    ]


async def voted_among(
    *, session: AsyncSession, user_id: int, question_ids: Sequence[int]
) -> set[int]:
    if not question_ids:
        return set()
    stmt = select(col(TownHallVote.question_id)).where(
        col(TownHallVote.user_id) == user_id,
        col(TownHallVote.question_id).in_(list(question_ids)),
    )
    return set(await session.scalars(stmt))


async def set_opt_in(*, session: AsyncSession, user_id: int, wanted: bool) -> None:
    if wanted:
        stmt = insert_for(session, TownHallOptIn).values(user_id=user_id)
        await session.execute(stmt.on_conflict_do_nothing())
    else:
        await session.execute(delete(TownHallOptIn).where(col(TownHallOptIn.user_id) == user_id))


async def is_opted_in(*, session: AsyncSession, user_id: int) -> bool:
    return await session.get(TownHallOptIn, user_id) is not None


async def opted_in(*, session: AsyncSession, colleges: Sequence[str]) -> list[User]:
    """The students who asked to hear of town halls, of these colleges (none: every one),
    who have agreed to the privacy notice and can still be reached."""
    stmt = (
        select(User)
        .join(TownHallOptIn, col(TownHallOptIn.user_id) == col(User.id))
        .where(col(User.consent_at).is_not(None), col(User.unreachable_at).is_(None))
        .order_by(col(User.id))
    )
    if colleges:
        stmt = stmt.where(col(User.college_code).in_(list(colleges)))
    return list(await session.scalars(stmt))


async def set_status(
    *, session: AsyncSession, question_id: int, status: str, **values: object
) -> None:
    await session.execute(
        update(TownHallQuestion)
        .where(col(TownHallQuestion.id) == question_id)
        .values(status=status, **values)
    )


async def forget_user(*, session: AsyncSession, user_id: int, tags: Sequence[str]) -> None:
    """An erased student's votes and opt-in go; their questions lose their asker (an
    anonymous one's seal would still reach them, with the key)."""
    await session.execute(delete(TownHallVote).where(col(TownHallVote.user_id) == user_id))
    await session.execute(delete(TownHallOptIn).where(col(TownHallOptIn.user_id) == user_id))
    await session.execute(
        update(TownHallQuestion)
        .where(col(TownHallQuestion.asker_id) == user_id)
        .values(asker_id=None)
    )
    if tags:
        await session.execute(
            update(TownHallQuestion)
            .where(col(TownHallQuestion.asker_tag).in_(list(tags)))
            .values(asker_sealed=None, asker_tag=None)
        )

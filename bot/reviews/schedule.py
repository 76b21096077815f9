"""The scheduler's part: reminders to members who have not voted, and rounds that reach their
deadline closed, their results (or the lack of a quorum) sent to the committee chat."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.reviews import ballot, report
from storage.crud import outbox as outbox_crud
from storage.crud import reviews as crud
from storage.crud import users as users_crud

# Reminders start a day after the invitations and come once a day after that.
REMIND_EVERY = timedelta(days=1)


async def run_due(
    *, session_factory: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """Reminders sent and rounds closed; each round in its own transaction."""
    done = 0
    async with session_factory() as session:
        ids = [r.id for r in await crud.open_rounds(session=session) if r.id is not None]
    for round_id in ids:
        async with session_factory.begin() as session:
            review = await crud.get_round(session=session, round_id=round_id, for_update=True)
            if review is None or review.closed_at is not None:
                continue
            if review.deadline <= now:
                await close(session=session, services=services, round_id=round_id, now=now)
                done += 1
                continue
            last = review.reminded_at or review.opened_at
            if now - last < REMIND_EVERY:
                continue
            review.reminded_at = now
            session.add(review)
            rows = []
            for seat in await crud.panel(session=session, round_id=round_id):
                if seat.voted or seat.user_id is None:
                    continue
                user = await users_crud.get_user(session=session, user_id=seat.user_id)
                rows += ballot.reminder(services, user, seat.user_id, review)
            await outbox_crud.enqueue(session=session, messages=rows)
            done += 1
    return done


async def close(
    *, session: AsyncSession, services: Services, round_id: int, now: datetime
) -> report.Results | None:
    """Close the round; the report goes to the committee chat, if one is known."""
    review = await crud.get_round(session=session, round_id=round_id, for_update=True)
    if review is None or review.closed_at is not None:
        return None
    await crud.close(session=session, review=review, now=now)
    chat_id = await report.committee_chat(session=session, services=services)
    if chat_id is None:
        return await report.results(session=session, review=review)
    return await report.queue_report(
        session=session, services=services, review=review, chat_id=chat_id
    )

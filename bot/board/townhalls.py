"""Town halls (面对面) on the web board: the sessions, and per session its approved questions
by votes with their answers and the leader who answered. A cancelled session stays listed,
marked cancelled (已取消) with its reason, and offers no link to ask or upvote.

Questions come only through `bot.townhall.board.approved_questions`, which never carries the
asker and never a pending, rejected or merged question; sessions are built into plain records
without who created them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.board.query import BoardQuery, Listing
from bot.core.context import Services
from bot.core.paging import clamped_page
from bot.townhall.board import approved_questions
from storage.crud import board as crud
from storage.models import TownHall

PAGE_SIZE = 20
STATES: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionSummary:
    number: str
    title: str
    held_at: datetime
    place: str
    attendees: str
    # Called off: still listed, as cancelled (已取消), with the officers' reason.
    cancelled: bool = False
    cancel_reason: str | None = None


@dataclass(frozen=True)
class Question:
    text: str
    votes: int
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class SessionPage:
    summary: SessionSummary
    questions: list[Question]


def summary(town_hall: TownHall) -> SessionSummary:
    return SessionSummary(
        number=str(town_hall.id),
        title=town_hall.title,
        held_at=town_hall.held_at,
        place=town_hall.place,
        attendees=town_hall.attendees,
        cancelled=town_hall.cancelled_at is not None,
        cancel_reason=town_hall.cancel_reason if town_hall.cancelled_at is not None else None,
    )


async def session_list(*, session: AsyncSession, services: Services, query: BoardQuery) -> Listing:
    """One page of the town-hall sessions, the latest first."""

    async def load(page: int) -> tuple[list[SessionSummary], int]:
        rows, total = await crud.town_halls(
            session=session, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        return [summary(row) for row in rows], total

    shown = await clamped_page(load, query.page, PAGE_SIZE)
    return Listing.of(shown)


async def session_page(
    *, session: AsyncSession, services: Services, number: str
) -> SessionPage | None:
    """The session numbered `number` with its approved questions, or None when there is none."""
    if not number.isdigit() or len(number) > 12:
        return None
    town_hall = await crud.town_hall(session=session, town_hall_id=int(number))
    if town_hall is None or town_hall.id is None:
        return None
    questions = await approved_questions(session=session, town_hall_id=town_hall.id)
    return SessionPage(
        summary=summary(town_hall),
        questions=[
            Question(
                text=q.text,
                votes=q.votes,
                answer=q.answer,
                answered_by=q.answered_by if q.answer else None,
                answered_at=q.answered_at if q.answer else None,
            )
            for q in questions
        ],
    )

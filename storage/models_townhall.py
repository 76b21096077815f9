"""The face-to-face town hall (面对面): sessions, the students' questions, their votes, and
who asked to hear of new sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _now() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


class TownHall(SQLModel, table=True):
    __tablename__ = "town_halls"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    held_at: datetime = Field(sa_type=UTCDateTime)
    place: str
    # The school leaders or departments attending, as the officer typed them.
    attendees: str
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    # College codes it is for; empty: every college.
    colleges: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _now()
    # Called off by the officers (/townhall cancel): still listed, as cancelled, with why.
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = None


class TownHallQuestion(SQLModel, table=True):
    """A question; an anonymous one keeps its asker only sealed and tagged, like a case's
    author (`bot.casework.authors`), so the database alone cannot tell who asked it."""

    __tablename__ = "town_hall_questions"

    id: int | None = Field(default=None, primary_key=True)
    town_hall_id: int = Field(index=True, foreign_key="town_halls.id")
    text: str
    anonymous: bool = False
    asker_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    asker_sealed: str | None = None
    asker_tag: str | None = Field(default=None, max_length=32, index=True)
    college_code: str | None = None
    # pending | approved | rejected | merged (`bot.townhall.rules`)
    status: str = "pending"
    reason: str | None = None
    merged_into_id: int | None = None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    case_id: int | None = None
    created_at: datetime = _now()


class TownHallVote(SQLModel, table=True):
    """One person's upvote of a question, once each."""

    __tablename__ = "town_hall_votes"

    question_id: int = Field(primary_key=True, foreign_key="town_hall_questions.id")
    user_id: int = Field(sa_type=BigInteger, primary_key=True, index=True)
    created_at: datetime = _now()


class TownHallOptIn(SQLModel, table=True):
    """A student who asked to be told of new town halls (/townhall on)."""

    __tablename__ = "town_hall_optins"

    user_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    created_at: datetime = _now()

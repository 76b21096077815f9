"""Semester reviews (述职评议): a round, whom it reviews, its panel, and the secret ballots.

Secrecy is in the shape of the tables. `review_panel.voted` says that a member voted and
nothing more (no time). `review_ballots` carries no voter, no time and a random UUID key, and
its rows are written again in a random order at every submission, so neither their keys,
their physical order nor their transaction links them to a submission. The scores a member is
still choosing live in `review_drafts`, keyed by their seat, and are deleted in the transaction
that writes their ballots.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ReviewRound(SQLModel, table=True):
    __tablename__ = "review_rounds"

    id: int | None = Field(default=None, primary_key=True)
    semester: str = Field(unique=True, max_length=40)
    deadline: datetime = Field(sa_type=UTCDateTime)
    quorum_num: int = 2
    quorum_den: int = 3
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Reviewee(SQLModel, table=True):
    __tablename__ = "reviewees"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(index=True, foreign_key="review_rounds.id")
    position: int
    name: str = Field(max_length=40)
    post: str = Field(max_length=60)


class PanelMember(SQLModel, table=True):
    """A seat on the panel: a representative of the roster, or staff invited by a link."""

    __tablename__ = "review_panel"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(index=True, foreign_key="review_rounds.id")
    kind: str = Field(max_length=20)  # representative | staff
    name: str = Field(max_length=40)
    unit: str = Field(default="", max_length=60)
    user_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True, index=True)
    invite_hash: str | None = Field(default=None, unique=True, max_length=64, nullable=True)
    voted: bool = False


class ReviewDraft(SQLModel, table=True):
    """A member's choices before they submit: {reviewee id: {dimension: score}}, comments."""

    __tablename__ = "review_drafts"

    member_id: int = Field(primary_key=True, foreign_key="review_panel.id")
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ReviewBallot(SQLModel, table=True):
    """One member's scores of one reviewee, with nothing that says whose they are."""

    __tablename__ = "review_ballots"

    id: str = Field(primary_key=True, max_length=36)
    round_id: int = Field(index=True, foreign_key="review_rounds.id")
    reviewee_id: int = Field(foreign_key="reviewees.id")
    political: int | None = None
    moral: int | None = None
    study: int | None = None
    work: int | None = None
    discipline: int | None = None
    comment: str | None = Field(default=None, max_length=500)

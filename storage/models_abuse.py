"""Mutes and the messages held while they last (issue 16, "Abuse and overload").

A mute names the student, not the case it was decided on: a dump of this table does not say
which (possibly anonymous) case led to it. The case's timeline records the decision instead
(an event "mute" with the reason and the end, without the student).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Mute(SQLModel, table=True):
    __tablename__ = "mutes"
    __table_args__ = (Index("ix_mutes_due", "ended_at", "until"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    until: datetime = Field(sa_type=UTCDateTime)
    reason: str
    officer_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The student was told (once) that what they send is kept until the mute ends.
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set once, by whichever instance ends the mute (time ran out, or an officer lifted it):
    # the held messages are released in that transaction.
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HeldMessage(SQLModel, table=True):
    """What a muted student sent, kept for the officers until the mute ends; deleted once
    released (it then is an ordinary message of the case) or discarded by an officer."""

    __tablename__ = "held_messages"
    # Released in the order they were sent: ids are never reused.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    mute_id: int = Field(index=True, foreign_key="mutes.id")
    # Sealed (`bot.cases.mutes.seal_held`): the case it was added to (none: a new submission,
    # its draft) and what it says. The mute names the student; this must not name the case.
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

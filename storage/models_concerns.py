"""Shared concerns (我也遇到): a grievance or suggestion its student asked to make public."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class CasePublication(SQLModel, table=True):
    """The public version of a case, apart from the case's own state (`bot.domain.publication`):
    asked for at submission, worded by the officers, accepted by the student. The public text
    is all the public ever sees of it; supports (+1) are `proposal_supports` rows, as for a
    registered proposal, and every supporter follows the case."""

    __tablename__ = "case_publications"

    case_id: int = Field(
        primary_key=True, foreign_key="cases.id", sa_column_kwargs={"autoincrement": False}
    )
    status: str = Field(index=True)
    public_text: str | None = None
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    drafted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    channel_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    channel_message_id: int | None = None

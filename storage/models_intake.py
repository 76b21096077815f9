"""The invite links of cases received offline (`bot.intake.invites`).

A link binds its case to the first student who opens it. Only the token's hash is kept, and
never who used it: that would name the author of an anonymous case beside the case.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class IntakeInvite(SQLModel, table=True):
    __tablename__ = "intake_invites"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)

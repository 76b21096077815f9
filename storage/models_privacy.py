"""What a person agreed to, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ConsentRecord(SQLModel, table=True):
    """One answer to one version of the privacy notice: "accepted" or "declined".

    Rows are only added: the history is what the person (and an auditor) can be shown.
    """

    __tablename__ = "consent_records"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    version: str
    decision: str
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

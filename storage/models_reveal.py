"""Tables of the two-admin reveal of an anonymous case's author (`bot.privacy.reveal`), and the
audit log that records it.

Neither holds the student: a request names the case and the admins; the identity is read from
the case's seal only when a second admin approves, and sent to the two of them, not stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class RevealRequest(SQLModel, table=True):
    __tablename__ = "reveal_requests"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    requested_by: int = Field(sa_type=BigInteger)
    reason: str
    status: str = "open"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    decided_by: int | None = Field(default=None, sa_type=BigInteger)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class AuditEntry(SQLModel, table=True):
    """What admins did that a student or the union may have to account for later. Rows are
    only ever added; `actor_ids` are the admins', never the student's.

    A role change names its `target_id`, `role` and `scope`; a command-line actor has no
    Telegram id, so `actor_name` says who ran it (the operating-system user)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str
    case_id: int | None = Field(default=None, index=True)
    actor_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str | None = None
    target_id: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    role: str | None = None
    scope: str | None = None
    actor_name: str | None = None

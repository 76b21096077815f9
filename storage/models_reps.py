"""What student representatives keep about their college's cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class CollegeFollow(SQLModel, table=True):
    """A representative follows a case of their college (关注): short updates of its state,
    never its people. Apart from `case_followers`, whose members get the students' messages
    (answers included) and count in the digest's hot topics."""

    __tablename__ = "college_follows"

    case_id: int = Field(primary_key=True, foreign_key="cases.id")
    user_id: int = Field(sa_type=BigInteger, primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

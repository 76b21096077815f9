"""The privacy notice's versions: who has agreed to the one in force, who must be asked again.

A student who agreed to an earlier version (or declined this one) keeps what is theirs —
reading their cases and the answers, /mydata, /deleteme — but submits nothing new until they
agree to the notice in force.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crud import consent as consent_crud
from storage.models import User


class Standing(StrEnum):
    NEVER = "never"  # has not agreed to any version: only /start and /help
    CURRENT = "current"  # agreed to the version in force
    ASK = "ask"  # agreed to an earlier version and has not answered this one
    DECLINED = "declined"  # declined the version in force


def is_current(user: User | None, version: str) -> bool:
    return user is not None and user.consent_at is not None and user.consent_version == version


async def standing(*, session: AsyncSession, user: User | None, version: str) -> Standing:
    if user is None or user.consent_at is None:
        return Standing.NEVER
    if user.consent_version == version:
        return Standing.CURRENT
    last = await consent_crud.latest_decision(session=session, user_id=user.id, version=version)
    return Standing.DECLINED if last == consent_crud.DECLINED else Standing.ASK


async def accept(*, session: AsyncSession, user: User, version: str, now: datetime) -> None:
    user.consent_at = now
    user.consent_version = version
    session.add(user)
    await consent_crud.record(
        session=session, user_id=user.id, version=version, decision=consent_crud.ACCEPTED, at=now
    )


async def decline(*, session: AsyncSession, user: User, version: str, now: datetime) -> None:
    """Recorded for someone who had agreed before; a newcomer who declines leaves no trace."""
    if user.consent_at is None:
        return
    await consent_crud.record(
        session=session, user_id=user.id, version=version, decision=consent_crud.DECLINED, at=now
    )

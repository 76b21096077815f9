"""Consent, preferences and a student's right to see and erase their data (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LOCALES
from storage.models import Case, CaseEvent, CaseFollower, RoleGrant, User


async def give_consent(*, session: AsyncSession, user: User, now: datetime) -> None:
    user.consent_at = now
    session.add(user)
    await session.flush()


async def set_locale(*, session: AsyncSession, user: User, locale: str) -> str:
    if locale not in LOCALES:
        locale = LOCALES[0]
    user.locale = locale
    session.add(user)
    await session.flush()
    return locale


async def set_college(*, session: AsyncSession, user: User, college: str) -> None:
    user.college_code = college
    session.add(user)
    await session.flush()


async def count_cases(*, session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Case.submitter_id == user_id)) or 0)


async def erase_user(*, session: AsyncSession, user_id: int) -> None:
    """Unlink the person from every case (which stay, anonymous) and drop the profile."""
    await session.execute(
        update(Case).where(Case.submitter_id == user_id).values(submitter_id=None, anonymous=True)
    )
    await session.execute(
        update(CaseEvent)
        .where(CaseEvent.actor_id == user_id, CaseEvent.actor_role == "student")
        .values(actor_id=None)
    )
    await session.execute(delete(CaseFollower).where(CaseFollower.user_id == user_id))
    await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))

"""Consent, preferences and a student's right to see and erase their data (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.i18n import LOCALES
from bot.services import notify
from storage.crud import outbox as outbox_crud
from storage.models import (
    Case,
    CaseEvent,
    CaseFollower,
    MessageLink,
    OutboxMessage,
    RoleGrant,
    User,
)


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
    stmt = select(func.count()).where(col(Case.submitter_id) == user_id)
    return int(await session.scalar(stmt) or 0)


async def erase_user(*, session: AsyncSession, user_id: int) -> None:
    """Unlink the person from every case (which stay, anonymous) and drop the profile.

    The officers' cards of those cases are redrawn, or they would go on showing the name.
    """
    cases = list(await session.scalars(select(Case).where(col(Case.submitter_id) == user_id)))
    await session.execute(
        update(Case)
        .where(col(Case.submitter_id) == user_id)
        .values(submitter_id=None, anonymous=True)
    )
    await session.execute(
        update(CaseEvent)
        .where(col(CaseEvent.actor_id) == user_id, col(CaseEvent.actor_role) == "student")
        .values(actor_id=None)
    )
    await session.execute(delete(CaseFollower).where(col(CaseFollower.user_id) == user_id))
    await session.execute(delete(RoleGrant).where(col(RoleGrant.user_id) == user_id))
    # Their private chat's messages pointing at cases, and what is still queued for them.
    await session.execute(delete(MessageLink).where(col(MessageLink.chat_id) == user_id))
    await session.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.recipient_user_id) == user_id,
            col(OutboxMessage.status) == outbox_crud.PENDING,
        )
    )
    await session.execute(delete(User).where(col(User.id) == user_id))
    await outbox_crud.enqueue(
        session=session, messages=[notify.card_refresh(case) for case in cases]
    )

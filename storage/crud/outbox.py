from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._upsert import supports_skip_locked
from storage.models import OutboxMessage
from storage.types import utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


async def enqueue(*, session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
    """Queue messages in the caller's transaction; a pending card refresh absorbs later ones."""
    for message in messages:
        if message.coalesce_key is not None:
            pending = await session.scalar(
                select(col(OutboxMessage.id)).where(
                    col(OutboxMessage.coalesce_key) == message.coalesce_key,
                    col(OutboxMessage.status) == PENDING,
                )
            )
            if pending is not None:
                continue
        session.add(message)
    await session.flush()


async def claim_due(*, session: AsyncSession, limit: int, now: datetime) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
    )
    if supports_skip_locked(session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(await session.scalars(stmt))
    if rows:
        await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([r.id for r in rows]))
            .values(status=SENDING, claimed_at=now)
        )
        for row in rows:
            row.status, row.claimed_at = SENDING, now
    return rows


async def next_due_at(*, session: AsyncSession) -> datetime | None:
    stmt = select(col(OutboxMessage.next_attempt_at)).where(col(OutboxMessage.status) == PENDING)
    return await session.scalar(stmt.order_by(col(OutboxMessage.next_attempt_at)).limit(1))


async def finish(
    *,
    session: AsyncSession,
    message_id: int,
    status: str,
    error: str | None = None,
    result_message_id: int | None = None,
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=status,
            last_error=error,
            result_message_id=result_message_id,
            sent_at=utcnow() if status == SENT else None,
        )
    )


async def retry_later(
    *, session: AsyncSession, message_id: int, attempts: int, when: datetime, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=PENDING, attempts=attempts, next_attempt_at=when, last_error=error)
    )


async def hold_chat(*, session: AsyncSession, chat_id: int | None, until: datetime) -> None:
    """Pending rows for a chat wait until `until`, keeping their order.

    Rows without a chat id (cards, thread notes) all go to the officers' chats, so they are
    held together.
    """
    same_chat = (
        col(OutboxMessage.chat_id).is_(None)
        if chat_id is None
        else col(OutboxMessage.chat_id) == chat_id
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            same_chat,
            col(OutboxMessage.status) == PENDING,
            col(OutboxMessage.next_attempt_at) < until,
        )
        .values(next_attempt_at=until)
    )


async def wake_chat_rows(*, session: AsyncSession, now: datetime) -> None:
    """Rows waiting for an officers' chat to exist (cards, thread notes) are due now."""
    await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id).is_(None),
            col(OutboxMessage.status) == PENDING,
            col(OutboxMessage.next_attempt_at) > now,
        )
        .values(next_attempt_at=now)
    )


async def release_in_flight(*, session: AsyncSession, older_than: datetime | None = None) -> int:
    """Rows claimed by a process that died: their send may or may not have happened; send again."""
    stmt = update(OutboxMessage).where(col(OutboxMessage.status) == SENDING)
    if older_than is not None:
        stmt = stmt.where(
            or_(col(OutboxMessage.claimed_at).is_(None), col(OutboxMessage.claimed_at) < older_than)
        )
    result = await session.execute(stmt.values(status=PENDING))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_by_status(
    *, session: AsyncSession, status: str, limit: int = 100
) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(col(OutboxMessage.status) == status)
    return list(await session.scalars(stmt.order_by(col(OutboxMessage.id)).limit(limit)))


async def has_pending(*, session: AsyncSession, coalesce_key: str) -> bool:
    stmt = select(col(OutboxMessage.id)).where(
        col(OutboxMessage.coalesce_key) == coalesce_key,
        col(OutboxMessage.status).in_((PENDING, SENDING)),
    )
    return (await session.scalar(stmt.limit(1))) is not None


async def move_chat(*, session: AsyncSession, old: int, new: int) -> None:
    """Follow a group's migration to a supergroup everywhere its id is stored."""
    from storage.models import Case, ChatBinding

    await session.execute(
        update(ChatBinding).where(col(ChatBinding.chat_id) == old).values(chat_id=new)
    )
    await session.execute(update(Case).where(col(Case.chat_id) == old).values(chat_id=new))
    rows = await session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.chat_id) == old,
            col(OutboxMessage.status).in_((PENDING, SENDING)),
        )
    )
    for row in rows:
        row.chat_id = new
        row.payload = {**row.payload, "chat_id": new}
        session.add(row)

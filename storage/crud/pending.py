"""Texts officers were asked for in a group chat, found by the prompt message they reply to."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import fresh
from storage.crud._upsert import supports_skip_locked
from storage.models import OutboxMessage, PendingInput

AWAITING, CONFIRMING = "awaiting", "confirming"
DONE, CANCELLED, EXPIRED, REPLACED = "done", "cancelled", "expired", "replaced"
OPEN = (AWAITING, CONFIRMING)


async def add(*, session: AsyncSession, pending: PendingInput) -> PendingInput:
    session.add(pending)
    await session.flush()
    return pending


async def get(
    *, session: AsyncSession, pending_id: int, for_update: bool = False
) -> PendingInput | None:
    return await fresh(session, PendingInput, pending_id, for_update=for_update)


async def by_prompt(*, session: AsyncSession, chat_id: int, message_id: int) -> PendingInput | None:
    """The input asked for by the bot's message `message_id` in the chat, whatever its status.

    The message id is the one the delivery worker recorded when the prompt was sent: a prompt
    that never arrived has none, so nothing can be found (or answered) for it.
    """
    stmt = (
        select(PendingInput)
        .join(OutboxMessage, col(OutboxMessage.id) == col(PendingInput.prompt_row_id))
        .where(
            col(PendingInput.chat_id) == chat_id,
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.result_message_id) == message_id,
        )
        .execution_options(populate_existing=True)
    )
    if supports_skip_locked(session):
        stmt = stmt.with_for_update(of=PendingInput)
    return (await session.scalars(stmt.limit(1))).first()


async def open_of(
    *, session: AsyncSession, officer_id: int, chat_id: int
) -> list[tuple[PendingInput, bool]]:
    """An officer's open inputs in a chat, each with whether its prompt arrived (one that did
    not cannot be answered, but may still be on its way)."""
    stmt = (
        select(PendingInput, col(OutboxMessage.result_message_id))
        .join(OutboxMessage, col(OutboxMessage.id) == col(PendingInput.prompt_row_id))
        .where(
            col(PendingInput.officer_id) == officer_id,
            col(PendingInput.chat_id) == chat_id,
            col(PendingInput.status).in_(OPEN),
        )
        .order_by(col(PendingInput.id))
    )
    return [
        (pending, message_id is not None) for pending, message_id in await session.execute(stmt)
    ]


async def end_for_case(*, session: AsyncSession, case_id: int, chat_id: int) -> None:
    """The case left the chat: what its officers were asked for there can no longer be given."""
    await session.execute(
        update(PendingInput)
        .where(
            col(PendingInput.case_id) == case_id,
            col(PendingInput.chat_id) == chat_id,
            col(PendingInput.status).in_(OPEN),
        )
        .values(status=CANCELLED)
    )

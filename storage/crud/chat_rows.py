"""Where queued rows wait on their chats: held after a 429, due again when a chat is bound
(or a case's card is posted), moved when a group migrates or a lost chat is replaced."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import table
from storage.crud.outbox import FAILED, LISTED, PENDING, SENDING, lane_of
from storage.models import ChatBinding, OutboxMessage, User


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
    await _due_now(session, now, col(OutboxMessage.chat_id).is_(None))


async def wake_case_rows(*, session: AsyncSession, case_ids: Iterable[int], now: datetime) -> None:
    """Cases' cards are posted at last: the notes parked until they were are due now."""
    await _due_now(
        session,
        now,
        col(OutboxMessage.case_id).in_(list(case_ids)),
        col(OutboxMessage.kind) == "thread",
    )


async def wake_chat(*, session: AsyncSession, chat_id: int, now: datetime) -> None:
    """A chat's rows that were waiting (for it to be bound again) are due now."""
    await _due_now(session, now, col(OutboxMessage.chat_id) == chat_id)


async def _due_now(session: AsyncSession, now: datetime, *which: ColumnElement[bool]) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(
            *which, col(OutboxMessage.status) == PENDING, col(OutboxMessage.next_attempt_at) > now
        )
        .values(next_attempt_at=now)
    )


async def undeliverable(
    *, session: AsyncSession, user_ids: Iterable[int], chat_ids: Iterable[int]
) -> tuple[set[int], set[int]]:
    """Of these, the recipients who blocked the bot and the chats it was removed from; asked
    in one query, as every claim asks both."""
    users, chats = sorted(set(user_ids)), sorted(set(chat_ids))
    parts = []
    if users:
        people = table(User)
        parts.append(
            select(people.c.id, literal(False)).where(
                people.c.id.in_(users), people.c.unreachable_at.is_not(None)
            )
        )
    if chats:
        bindings = table(ChatBinding)
        parts.append(
            select(bindings.c.chat_id, literal(True)).where(
                bindings.c.chat_id.in_(chats), bindings.c.lost_at.is_not(None)
            )
        )
    if not parts:
        return set(), set()
    unreachable: set[int] = set()
    lost: set[int] = set()
    for found, is_chat in await session.execute(union_all(*parts)):
        (lost if is_chat else unreachable).add(found)
    return unreachable, lost


async def move_chat(*, session: AsyncSession, old: int, new: int) -> list[str]:
    """Follow a group's migration to a supergroup everywhere its id is stored; the purposes
    of the bindings that moved."""
    from storage.models import Case

    moved = list(
        await session.scalars(
            select(col(ChatBinding.purpose)).where(col(ChatBinding.chat_id) == old)
        )
    )
    await session.execute(
        update(ChatBinding).where(col(ChatBinding.chat_id) == old).values(chat_id=new)
    )
    await session.execute(update(Case).where(col(Case.chat_id) == old).values(chat_id=new))
    await session.execute(
        update(Case).where(col(Case.watch_chat_id) == old).values(watch_chat_id=new)
    )
    rows = await session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.chat_id) == old,
            col(OutboxMessage.status).in_((PENDING, SENDING)),
        )
    )
    for row in rows:
        _readdress(row, new)
    return moved


def _readdress(row: OutboxMessage, chat_id: int) -> None:
    row.chat_id = chat_id
    row.lane = lane_of(row)
    row.payload = {**row.payload, "chat_id": chat_id}


# What a message in another chat cannot carry over: places in the chat it was meant for.
_PLACES = ("message_thread_id", "reply_parameters", "reply_to_message_id")


async def move_queued(*, session: AsyncSession, old: int, new: int, now: datetime) -> None:
    """Rows waiting for a chat the bot lost go to the chat bound instead, due now. New
    messages go without their topic or the message they replied to; what would change a
    message in the lost chat (an edit, a deletion) cannot be done and fails."""
    rows = await session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.chat_id) == old, col(OutboxMessage.status) == PENDING
        )
    )
    for row in rows:
        if row.method.startswith(("send", "copy", "forward")):
            _readdress(row, new)
            row.payload = {k: v for k, v in row.payload.items() if k not in _PLACES}
            row.next_attempt_at = now
        else:
            row.status, row.last_error = FAILED, f"its chat {old} was replaced by {new}"
        session.add(row)


async def listed_in(*, session: AsyncSession, chat_id: int) -> list[int]:
    """Cases whose new card went into a batch message in this chat."""
    stmt = select(col(OutboxMessage.case_id)).where(
        col(OutboxMessage.chat_id) == chat_id,
        col(OutboxMessage.kind) == "card",
        col(OutboxMessage.status) == LISTED,
        col(OutboxMessage.case_id).is_not(None),
    )
    return sorted({case_id for case_id in await session.scalars(stmt) if case_id is not None})

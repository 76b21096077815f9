"""The outbox: queued Bot API work, claimed by delivery workers lane by lane.

A row's *lane* says which rows must keep their order: a private chat's messages ("c<chat>"; a
sealed chat's, "s<tag>"), or a case's officer-side rows ("k<case>": its card before the notes
that reply to it). A lane is worked by one worker at a time, and within it a row waits for
every row that sorts before it (priority, then id) — also one held back by a 429 or a retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import table
from storage.crud.handoff import note_queued
from storage.models import OutboxMessage
from storage.session import app_session
from storage.types import utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# A new card shown in a batch message instead of on its own; it is posted when opened.
LISTED = "listed"
# More rows than this are inserted in bulk.
BULK_INSERT = 50


class Erased(Protocol):
    def concerns(self, row: OutboxMessage) -> bool: ...


class ChatSealer(Protocol):
    """`bot.core.sealing.IdentitySeal`, as far as the outbox uses it."""

    def seal(self, person_id: int) -> str: ...

    def tag(self, person_id: int) -> str: ...


SEALED = "sealed"


def seal_chat(session: AsyncSession, chat_id: int, sealer: ChatSealer) -> None:
    """What this transaction queues (or has staged) for the private chat is stored with the
    chat sealed: it names an anonymous case, and must not name its author beside it."""
    app_session(session).sealed_chats[chat_id] = sealer


def _conceal(session: AsyncSession, rows: Iterable[OutboxMessage]) -> None:
    sealed = app_session(session).sealed_chats
    if not sealed:
        return
    for row in rows:
        sealer = sealed.get(row.chat_id) if row.chat_id is not None else None
        if sealer is not None:
            seal_row(row, sealer)


def sealed_lane(tag: str) -> str:
    """The lane of the rows to one sealed chat, named by its tag (`IdentitySeal.tag`)."""
    return f"s{tag}"


def seal_row(row: OutboxMessage, sealer: ChatSealer) -> None:
    """A message to a private chat, stored with the chat sealed: sent by the "sealed" kind,
    which opens it in memory when the row's turn comes."""
    chat_id = row.chat_id
    if chat_id is None or row.kind != "send":
        return
    row.kind, row.chat_sealed = SEALED, sealer.seal(chat_id)
    row.lane = sealed_lane(sealer.tag(chat_id))
    row.chat_id = row.recipient_user_id = None
    row.payload = {key: value for key, value in row.payload.items() if key != "chat_id"}


def clock_of(session: AsyncSession) -> datetime:
    """The app's clock, which the session factory hands to every session (tests move it)."""
    clock = app_session(session).clock
    return clock() if clock is not None else utcnow()


def lane_of(message: OutboxMessage) -> str | None:
    if message.chat_id is not None:
        return f"c{message.chat_id}"
    if message.case_id is not None:
        return f"k{message.case_id}"
    return None


async def enqueue(
    *, session: AsyncSession, messages: Sequence[OutboxMessage], now: datetime | None = None
) -> None:
    """Queue messages in the caller's transaction, due now by the app's clock; a pending card
    refresh absorbs later ones."""
    queued = await _prepared(session, messages, now)
    # Rows staged earlier in the transaction are older: written and told about first.
    state = app_session(session)
    staged, state.staged = state.staged, []
    _conceal(session, staged)
    if len(queued) > BULK_INSERT:
        await note_queued(session, staged)
        staged = []
        # A broadcast: thousands of rows in one statement, without tracking each as an object
        # (so these rows get no ids here; nothing needs them before they are sent).
        columns = [c.key for c in OutboxMessage.__table__.columns if c.key != "id"]  # type: ignore[attr-defined]
        await session.execute(
            insert(OutboxMessage.__table__),  # type: ignore[attr-defined]
            [{key: getattr(m, key) for key in columns} for m in queued],
        )
    else:
        session.add_all(queued)
    await note_queued(session, staged + queued)


async def stage(*, session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
    """Queue like `enqueue`, but leave the writing to the transaction's next flush and the
    telling to `flush_staged` (or the next `enqueue`): an update whose handler makes several
    calls inserts them in one statement and hands them to the worker in one claim.

    Rows added to the session keep their order, and any query flushes them first. Inside a
    savepoint they are queued at once: rolling it back would not take unwritten rows with it.
    """
    if session.in_nested_transaction():
        await enqueue(session=session, messages=messages)
        return
    queued = await _prepared(session, messages, None)
    session.add_all(queued)
    app_session(session).staged.extend(queued)


async def flush_staged(*, session: AsyncSession) -> None:
    """Writes what `stage` left, before the transaction commits."""
    state = app_session(session)
    staged, state.staged = state.staged, []
    if staged:
        # A chat sealed after a row to it was staged (the handler spoke before the service).
        _conceal(session, staged)
        await note_queued(session, staged)


async def _prepared(
    session: AsyncSession, messages: Sequence[OutboxMessage], now: datetime | None
) -> list[OutboxMessage]:
    now = now or clock_of(session)
    keys = {m.coalesce_key for m in messages if m.coalesce_key is not None}
    pending: set[str | None] = set()
    if keys:
        outbox = table(OutboxMessage)
        pending = set(
            await session.scalars(
                select(outbox.c.coalesce_key).where(
                    outbox.c.coalesce_key.in_(keys), outbox.c.status == PENDING
                )
            )
        )
    queued: list[OutboxMessage] = []
    for message in messages:
        if message.coalesce_key is not None:
            if message.coalesce_key in pending:
                continue
            pending.add(message.coalesce_key)
        _conceal(session, [message])
        if "next_attempt_at" not in message.model_fields_set:
            message.next_attempt_at = now
        message.lane = message.lane or lane_of(message)
        queued.append(message)
    mark_forgotten(app_session(session).erased, queued)
    return queued


def mark_forgotten(erased: Sequence[Erased], rows: Iterable[OutboxMessage]) -> None:
    """What a transaction queues for someone it erased, after the erasure (the confirmation),
    is deleted once sent."""
    for row in rows:
        if any(person.concerns(row) for person in erased):
            row.forget = True


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
    when: datetime | None = None,
) -> None:
    await finish_many(
        session=session,
        outcomes=[Outcome(message_id, status, error, result_message_id)],
        when=when,
    )


@dataclass(frozen=True)
class Outcome:
    """A row's final state."""

    id: int
    status: str
    last_error: str | None = None
    result_message_id: int | None = None
    # Where a row that named no chat (a card) went; None leaves the row's chat as it is.
    chat_id: int | None = None


async def finish_many(
    *, session: AsyncSession, outcomes: Sequence[Outcome], when: datetime | None = None
) -> set[int]:
    """Final states of many rows at once.

    Rows to be forgotten once done (to someone who erased their data) are deleted instead;
    their ids are returned. The flag is read here, not from the row as it was claimed: an
    erasure marks the rows to the person it finds being sent.
    """
    if not outcomes:
        return set()
    when = when or clock_of(session)
    params = [
        {
            "id": o.id,
            "status": o.status,
            "last_error": o.last_error,
            "result_message_id": o.result_message_id,
            "sent_at": when if o.status in (SENT, LISTED) else None,
            **({"chat_id": o.chat_id} if o.chat_id is not None else {}),
        }
        # In id order, as the heartbeat's renewal and the claims lock them: two transactions
        # taking the same rows in different orders deadlock on PostgreSQL.
        for o in sorted(outcomes, key=lambda o: o.id)
    ]
    await session.execute(update(OutboxMessage), params)
    gone = await session.scalars(
        delete(OutboxMessage)
        .where(col(OutboxMessage.id).in_([o.id for o in outcomes]), col(OutboxMessage.forget))
        .returning(col(OutboxMessage.id))
        .execution_options(synchronize_session=False)
    )
    return {row_id for row_id in gone if row_id is not None}


async def recent_sends(*, session: AsyncSession, since: datetime) -> list[tuple[int, datetime]]:
    """Chat and time of each message sent since `since` (a listing of new cases counted once)."""
    stmt = (
        select(
            col(OutboxMessage.chat_id),
            col(OutboxMessage.sent_at),
            col(OutboxMessage.status),
            col(OutboxMessage.result_message_id),
        )
        .where(
            col(OutboxMessage.sent_at) >= since,
            col(OutboxMessage.status).in_((SENT, LISTED)),
            col(OutboxMessage.chat_id).is_not(None),
        )
        .order_by(col(OutboxMessage.sent_at))
    )
    sends: list[tuple[int, datetime]] = []
    listings: set[tuple[int, int | None]] = set()
    for chat_id, sent_at, status, message_id in await session.execute(stmt):
        if chat_id is None or sent_at is None:  # excluded by the query; for the type checker
            continue
        if status == LISTED:
            if (chat_id, message_id) in listings:
                continue
            listings.add((chat_id, message_id))
        sends.append((chat_id, sent_at))
    return sends


async def retry_later(
    *, session: AsyncSession, message_id: int, attempts: int, when: datetime, error: str
) -> None:
    await postpone(session=session, ids=[message_id], when=when, error=error, attempts=attempts)


async def postpone(
    *,
    session: AsyncSession,
    ids: Sequence[int],
    when: datetime,
    error: str | None = None,
    attempts: int | None = None,
) -> None:
    """Back to the queue, due at `when`."""
    values: dict[str, object] = {"status": PENDING, "next_attempt_at": when, "claimed_by": None}
    if error is not None:
        values["last_error"] = error
    if attempts is not None:
        values["attempts"] = attempts
    await session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id).in_(list(ids))).values(**values)
    )


async def card_listed(*, session: AsyncSession, case_id: int) -> bool:
    """Whether the case's new card went into a batch message (and was not posted since)."""
    stmt = select(col(OutboxMessage.id)).where(
        col(OutboxMessage.coalesce_key) == f"card:{case_id}", col(OutboxMessage.status) == LISTED
    )
    return (await session.scalar(stmt.limit(1))) is not None


async def list_by_status(
    *, session: AsyncSession, status: str, limit: int = 100
) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(col(OutboxMessage.status) == status)
    return list(await session.scalars(stmt.order_by(col(OutboxMessage.id)).limit(limit)))


async def statuses(*, session: AsyncSession, ids: Sequence[int]) -> list[str]:
    stmt = select(col(OutboxMessage.status)).where(col(OutboxMessage.id).in_(ids))
    return list(await session.scalars(stmt))


async def retry_failed(*, session: AsyncSession, ids: Sequence[int] | None, now: datetime) -> int:
    """Failed rows (the given ones, or all) go back to the queue with fresh attempts."""
    stmt = update(OutboxMessage).where(col(OutboxMessage.status) == FAILED)
    if ids is not None:
        stmt = stmt.where(col(OutboxMessage.id).in_(list(ids)))
    result = await session.execute(
        stmt.values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def has_pending(*, session: AsyncSession, coalesce_key: str) -> bool:
    stmt = select(col(OutboxMessage.id)).where(
        col(OutboxMessage.coalesce_key) == coalesce_key,
        col(OutboxMessage.status).in_((PENDING, SENDING)),
    )
    return (await session.scalar(stmt.limit(1))) is not None


async def forget_sent(*, session: AsyncSession, before: datetime) -> None:
    """Rows sent long ago: what they said needs keeping nowhere (failed rows stay for /failed)."""
    await session.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.status).in_((SENT, LISTED)), col(OutboxMessage.sent_at) < before
        )
    )


async def withdraw_from_chat(*, session: AsyncSession, case_id: int, chat_id: int) -> list[int]:
    """A case leaves a chat: its ready requests to the chat not yet sent are dropped; the ids
    of the messages those already sent left there."""
    where = (
        col(OutboxMessage.case_id) == case_id,
        col(OutboxMessage.chat_id) == chat_id,
        col(OutboxMessage.kind) == "send",
    )
    await session.execute(delete(OutboxMessage).where(*where, col(OutboxMessage.status) == PENDING))
    stmt = select(col(OutboxMessage.result_message_id)).where(
        *where, col(OutboxMessage.result_message_id).is_not(None)
    )
    return [mid for mid in await session.scalars(stmt) if mid is not None]

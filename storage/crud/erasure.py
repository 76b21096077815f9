"""Erasure (PIPL): every stored trace of a person — their Telegram id and names — removed.

What is about the person goes; what is about a case stays, without them. Messages in the outbox
are found by their id and names as the rows store them (JSON-escaped, HTML-escaped), not by
what kind of message they are: a row to their chat goes, whatever sent it; a row elsewhere
that names them (a card's "last action", an admin's "… is now an officer") keeps its message
with the name taken out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.crud import outbox as outbox_crud
from storage.crud.cases import OWNER_EVENTS
from storage.models import (
    Case,
    CaseEvent,
    CaseFollower,
    CollegeFollow,
    ConsentRecord,
    MessageLink,
    OutboxMessage,
    ProposalAssignment,
    RoleGrant,
    StoredFile,
    User,
)
from storage.session import app_session

# Where a name was: what the message says instead.
REDACTED = "—"
# Shorter names would match inside unrelated words.
MIN_NAME = 2
_LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class Traces:
    """What identifies one person in stored values."""

    user_id: int
    names: tuple[str, ...]
    # Where rows about their anonymous cases name them only sealed (`bot.core.sealing`): the
    # outbox lanes of their sealed chat, the stand-ins their chat's message links are under.
    sealed_lanes: tuple[str, ...] = ()
    stand_ins: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        user_id: int,
        user: User | None,
        *,
        sealed_lanes: tuple[str, ...] = (),
        stand_ins: tuple[int, ...] = (),
    ) -> Traces:
        names: list[str] = []
        if user is not None:
            full = " ".join(p for p in (user.first_name, user.last_name) if p)
            names += [full, user.first_name or "", user.last_name or ""]
            if user.username:
                names += [f"@{user.username}", user.username]
        kept = {n.strip() for n in names if len(n.strip()) >= MIN_NAME}
        # Longest first: "First Last" is taken out whole, not as "— Last".
        return cls(user_id, tuple(sorted(kept, key=len, reverse=True)), sealed_lanes, stand_ins)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        number = re.escape(str(self.user_id))
        # A mention link loses its text too, or an empty link would be left in the message.
        parts = [rf"<a\s[^>]*tg://user\?id={number}\b[^>]*>.*?</a>", rf"(?<!\d){number}(?!\d)"]
        for name in self.names:
            for form in dict.fromkeys((name, html.escape(name), html.escape(name, quote=False))):
                parts.append(_bounded(form))
        return re.compile("|".join(parts), re.IGNORECASE | re.DOTALL)

    def in_text(self, text: str) -> bool:
        return self._pattern.search(text) is not None

    def scrub(self, value: Any) -> Any:
        """The value with every mention taken out (strings inside lists and dicts too)."""
        if isinstance(value, str):
            return self._pattern.sub(REDACTED, value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value

    def addressed(self, row: OutboxMessage) -> bool:
        """A row to the person, or a call about them (their id as a value, not in a text)."""
        if self.user_id in (row.chat_id, row.recipient_user_id) or row.lane == f"c{self.user_id}":
            return True
        if row.lane is not None and row.lane in self.sealed_lanes:
            return True
        return self.user_id in _numbers(row.payload)

    def concerns(self, row: OutboxMessage) -> bool:
        return self.addressed(row) or self.in_text(json.dumps(row.payload, ensure_ascii=False))

    def needles(self) -> list[str]:
        """Substrings a stored payload holds when it mentions the person, however encoded."""
        forms: set[str] = {str(self.user_id)}
        for name in self.names:
            for form in (name, html.escape(name), html.escape(name, quote=False)):
                forms |= {form, json.dumps(form)[1:-1]}
        return sorted(forms)


def _bounded(form: str) -> str:
    """A name where it stands as a word: "Li" not inside "Library"; a CJK name anywhere."""
    escaped = re.escape(form)
    before = r"(?<![A-Za-z0-9_])" if _ascii_word(form[0]) else ""
    after = r"(?![A-Za-z0-9_])" if _ascii_word(form[-1]) else ""
    return before + escaped + after


def _ascii_word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _numbers(value: Any) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value))
    if isinstance(value, dict):
        return set().union(*(_numbers(v) for v in value.values()))
    return set()


def _like_any(column: Any, needles: Iterable[str]) -> Any:
    def escaped(needle: str) -> str:
        for char in (_LIKE_ESCAPE, "%", "_"):
            needle = needle.replace(char, _LIKE_ESCAPE + char)
        return f"%{needle}%"

    return or_(*(column.ilike(escaped(n), escape=_LIKE_ESCAPE) for n in needles))


async def unlink_from_cases(*, session: AsyncSession, user_id: int) -> None:
    """The cases and their histories stay; who acted in them, in any role, is forgotten."""
    await session.execute(
        update(Case).where(col(Case.last_actor_id) == user_id).values(last_actor_id=None)
    )
    await session.execute(
        update(CaseEvent).where(col(CaseEvent.actor_id) == user_id).values(actor_id=None)
    )
    await session.execute(
        update(Case).where(col(Case.assignee_id) == user_id).values(assignee_id=None)
    )
    await session.execute(
        update(CaseEvent)
        .where(col(CaseEvent.action).in_(OWNER_EVENTS), col(CaseEvent.text) == str(user_id))
        .values(text=None)
    )
    await session.execute(
        update(ProposalAssignment)
        .where(col(ProposalAssignment.liaison_id) == user_id)
        .values(liaison_id=None)
    )
    await session.execute(delete(CaseFollower).where(col(CaseFollower.user_id) == user_id))
    await session.execute(delete(CollegeFollow).where(col(CollegeFollow.user_id) == user_id))
    await session.execute(delete(RoleGrant).where(col(RoleGrant.user_id) == user_id))
    await session.execute(delete(ConsentRecord).where(col(ConsentRecord.user_id) == user_id))
    await session.execute(
        update(RoleGrant).where(col(RoleGrant.granted_by) == user_id).values(granted_by=None)
    )


async def forget_messages(*, session: AsyncSession, traces: Traces) -> None:
    """Rows to the person go, in any state — one being sent right now once it is done; rows
    to groups and channels that name them are scrubbed (rows to other people's chats are
    about those people).

    Rows are dealt with before the message links of the person's chat: a delivery finishing
    at the same moment writes its row's outcome and links in one transaction, which this one
    then waits for (on PostgreSQL the row's lock), so its links are there to be deleted.
    """
    user_id = traces.user_id
    payload_text = cast(col(OutboxMessage.payload), Text)
    found = await session.scalars(
        select(OutboxMessage).where(
            or_(
                col(OutboxMessage.chat_id) == user_id,
                col(OutboxMessage.recipient_user_id) == user_id,
                col(OutboxMessage.lane).in_([f"c{user_id}", *traces.sealed_lanes]),
                or_(col(OutboxMessage.chat_id).is_(None), col(OutboxMessage.chat_id) < 0)
                & or_(
                    _like_any(payload_text, traces.needles()),
                    _like_any(col(OutboxMessage.last_error), traces.needles()),
                ),
            )
        )
    )
    addressed: list[int] = []
    for row in found:
        if row.id is not None and traces.addressed(row):
            addressed.append(row.id)
            continue
        payload, error = traces.scrub(row.payload), traces.scrub(row.last_error)
        if (payload, error) != (row.payload, row.last_error):
            row.payload, row.last_error = payload, error
            session.add(row)
    await session.flush()
    if addressed:
        mine = col(OutboxMessage.id).in_(addressed)
        await session.execute(update(OutboxMessage).where(mine).values(forget=True))
        # A worker holding the row would record its outcome on a row that no longer exists.
        await session.execute(
            delete(OutboxMessage).where(mine, col(OutboxMessage.status) != outbox_crud.SENDING)
        )
    await session.execute(
        delete(MessageLink).where(col(MessageLink.chat_id).in_([user_id, *traces.stand_ins]))
    )


async def scrub_files(*, session: AsyncSession, traces: Traces) -> None:
    """The person's own files (their /mydata exports) go; generated reports (the digest's
    names who held an overdue case) lose the name."""
    await session.execute(delete(StoredFile).where(col(StoredFile.owner_id) == traces.user_id))
    files = await session.scalars(
        select(StoredFile).where(col(StoredFile.content_type).startswith("text/"))
    )
    for stored in files:
        text = stored.data.decode("utf-8", errors="replace")
        if traces.in_text(text):
            stored.data = traces.scrub(text).encode()
            session.add(stored)
    await session.flush()


def remember(session: AsyncSession, traces: Traces) -> None:
    """Rows queued later in this transaction that concern the person (the confirmation of the
    erasure) are forgotten once sent."""
    app_session(session).erased.append(traces)


def before_flush(session: Session, _context: object, _instances: object) -> None:
    """Rows added to the session directly, not through `outbox.enqueue`, are marked too."""
    erased = app_session(session).erased
    if erased:
        rows = [o for o in session.new if isinstance(o, OutboxMessage)]
        outbox_crud.mark_forgotten(erased, rows)

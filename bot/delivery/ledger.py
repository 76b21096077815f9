"""Writing down what happened to each row.

Final states (sent, listed, failed) are gathered for up to a tenth of a second (less when the
sending pauses) and written together: at full speed one transaction for dozens of sends
instead of one each. Until written a
row stays "sending", which is what a crash leaves behind for rows whose fate is unknown, so the
only cost of the delay is that a crash in it re-sends what was just sent. Everything else —
retries, 429s, a blocked user, a migrated group — is written at once, in its own transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.core.sealing import SealError
from bot.delivery.kinds import Kind, new_card, sent_messages
from bot.delivery.motion import Motion
from bot.delivery.reactions import Reactions
from bot.delivery.urgency import Urgency
from storage.crud import chat_rows
from storage.crud import claims as claims_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.crud._upsert import insert_for
from storage.crud.outbox import FAILED, Outcome
from storage.models import MessageLink, OutboxMessage

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.1
FLUSH_SIZE = 200


class Ledger:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        services: Services,
        on_change: Callable[[], None],
        urgency: Urgency | None = None,
        *,
        kinds: Mapping[str, Kind],
        reactions: Reactions,
    ) -> None:
        self.session_factory = session_factory
        self.kinds = kinds
        self.reactions = reactions
        self.urgency = urgency or Urgency()
        self.services = services
        self.on_change = on_change
        self._final: list[Outcome] = []
        self._writing: list[Outcome] = []
        # (row, chat, message, case) of each message sent for a case.
        self._links: list[tuple[int, int, int, int]] = []
        self._woken: set[int] = set()
        self._queued = asyncio.Event()
        self._nudged = asyncio.Event()
        self._flushing = asyncio.Lock()
        self.motion = Motion()

    @property
    def unwritten(self) -> int:
        """Outcomes not yet committed (those being written included)."""
        return len(self._final) + len(self._writing)

    @property
    def unwritten_ids(self) -> list[int]:
        return [outcome.id for outcome in self._final + self._writing]

    def finish(
        self,
        row: OutboxMessage,
        status: str,
        *,
        error: str | None = None,
        result: Any = None,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """`chat_id`: where it went, for rows that name no chat (cards): a restart counts the
        sends of the last minute against their chats' limits."""
        messages = sent_messages(result)
        if message_id is None and messages:
            message_id = messages[0].message_id
        assert row.id is not None
        sealed = row.chat_sealed is not None
        # A sealed row's chat is known here only opened: it is not written back.
        where = None if sealed else row.chat_id if chat_id is None else chat_id
        self._final.append(Outcome(row.id, status, error, message_id, where))
        kind = self.kinds.get(row.kind)
        if row.case_id is not None and kind is not None and kind.links_messages:
            pseudonym = self.services.sealer.pseudonym
            self._links += [
                (row.id, pseudonym(m.chat.id) if sealed else m.chat.id, m.message_id, row.case_id)
                for m in messages
            ]
        if row.case_id is not None and new_card(row, result):
            self._woken.add(row.case_id)
        if status == FAILED:
            log.warning("outbox %s failed: %s", row.id, error)
        self._queued.set()

    def nudge(self) -> None:
        """Nothing more is being sent for now: write what there is without waiting."""
        self._nudged.set()

    async def run(self) -> None:
        """Writes final states as they come, until cancelled (then `flush` the rest): under
        load a few times a second, each time many rows, so the database's write lock is free
        most of the time for everything else; when the sending stops, at once."""
        while True:
            await self._queued.wait()
            if len(self._final) < FLUSH_SIZE:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), timeout=FLUSH_DELAY)
            self._nudged.clear()
            await self.urgency.yield_to()
            try:
                await self.flush()
            except Exception:
                # Kept for the next round: until written the rows stay "sending", never lost.
                log.exception("writing %s delivery outcome(s) failed; retrying", self.unwritten)
                await asyncio.sleep(1)

    async def flush(self) -> None:
        async with self._flushing:
            self._queued.clear()
            final, links, woken = self._final, self._links, self._woken
            if not final:
                return
            self._final, self._links, self._woken = [], [], set()
            self._writing = final
            try:
                async with self.session_factory.begin() as session:
                    now = self.services.now()
                    gone = await outbox_crud.finish_many(session=session, outcomes=final, when=now)
                    if woken:
                        await chat_rows.wake_case_rows(session=session, case_ids=woken, now=now)
                    # A message to someone who erased their data links nothing to the case.
                    kept = [link for link in links if link[0] not in gone]
                    if kept:
                        # One statement for all: a broadcast links thousands of messages.
                        stmt = insert_for(session, MessageLink).on_conflict_do_nothing()
                        await session.execute(
                            stmt,
                            [
                                {"chat_id": chat, "message_id": message, "case_id": case}
                                for _, chat, message, case in kept
                            ],
                        )
            except BaseException:
                self._final[:0], self._links[:0] = final, links
                self._woken |= woken
                self._queued.set()
                raise
            finally:
                self._writing = []

    async def postpone(
        self,
        rows: Sequence[OutboxMessage],
        *,
        until: datetime,
        error: str | None,
        attempt: bool = False,
    ) -> None:
        """Back to the queue until `until`; `attempt` counts it as a failed try (one row)."""
        if not rows:
            return
        with self.motion.of(rows):
            async with self.session_factory.begin() as session:
                if attempt:
                    (row,) = rows
                    assert row.id is not None
                    await outbox_crud.postpone(
                        session=session,
                        ids=[row.id],
                        when=until,
                        error=error,
                        attempts=row.attempts + 1,
                    )
                else:
                    ids = [r.id for r in rows if r.id is not None]
                    await outbox_crud.postpone(session=session, ids=ids, when=until, error=error)

    def later(self, seconds: float) -> datetime:
        return self.services.now() + timedelta(seconds=seconds)

    async def hold_chat(self, chat_id: int, until: datetime) -> None:
        """Queued rows of a chat told to wait: they wait too (a restart must not forget it)."""
        async with self.session_factory.begin() as session:
            await chat_rows.hold_chat(session=session, chat_id=chat_id, until=until)

    async def unclaim(self, rows: Sequence[OutboxMessage]) -> None:
        ids = [r.id for r in rows if r.id is not None]
        if ids:
            with self.motion.of(rows):
                async with self.session_factory.begin() as session:
                    await claims_crud.unclaim(session=session, ids=ids)

    async def forbidden(
        self, row: OutboxMessage, error: str, *, unreachable: bool = True, rejected: bool = False
    ) -> None:
        """A refusal for good (403, or the chat does not exist; `rejected`: the request itself,
        or retries given up): the row failed, its recipient is `unreachable` when Telegram said
        so, and officers hear of it when it was their reply."""
        assert row.id is not None
        async with self.session_factory.begin() as session:
            await outbox_crud.finish(session=session, message_id=row.id, status=FAILED, error=error)
            recipient = row.recipient_user_id
            if recipient is None and row.chat_sealed is not None:
                with contextlib.suppress(SealError):  # opened in memory, as when it was sent
                    recipient = self.services.sealer.open(row.chat_sealed)
            if unreachable and recipient is not None:
                user = await users_crud.get_user(session=session, user_id=recipient)
                if user is not None and user.unreachable_at is None:
                    await users_crud.set_unreachable(
                        session=session, user_id=user.id, when=self.services.now()
                    )
            if row.report_failure and row.case_id is not None:
                await self.reactions.delivery_failed(
                    session=session,
                    services=self.services,
                    case_id=row.case_id,
                    reason=error,
                    rejected=rejected,
                )
        self.on_change()

    async def chat_lost(self, chat_id: int, error: str) -> bool:
        """Telegram refused a chat for good: when it is a bound chat, its binding is lost (and
        admins told) and True."""
        async with self.session_factory.begin() as session:
            return await self.reactions.chat_lost(
                session=session, services=self.services, chat_id=chat_id, reason=error
            )

    async def migrated(self, row: OutboxMessage, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: bindings, cases and queued rows follow; this row goes
        again at once, to the new id."""
        async with self.session_factory.begin() as session:
            await self.reactions.chat_migrated(
                session=session, services=self.services, old=old_chat_id, new=new_chat_id
            )
        log.warning("chat %s migrated to %s", old_chat_id, new_chat_id)
        await self.postpone(
            [row], until=self.services.now(), error=f"chat migrated to {new_chat_id}"
        )
        self.on_change()

"""The delivery worker: turns committed outbox rows into Bot API calls.

A row is claimed (status "sending") in one transaction and finished in another, so a crash in
between leaves it "sending"; on start-up those rows go back to "pending" and are sent again —
the only case in which a message can arrive twice, because only then is its fate unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, methods
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import conversation
from bot.services.cards import CardPublisher, ThreadUnavailable
from bot.services.context import Services
from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.crud.cases import link_message
from storage.crud.outbox import FAILED, SENT
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
HARMLESS = ("message is not modified", "TOPIC_NOT_MODIFIED")


class MissingFile(Exception):
    """A payload names a stored file that no longer exists; sending cannot succeed."""


class RecipientUnreachable(Exception):
    """The recipient blocked the bot before; sending again would only earn another 403."""


class Probe:
    """Timing hooks for benchmarks; the default does nothing."""

    def before_request(self, row: OutboxMessage) -> None:
        return None


def build_method(name: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    cls = getattr(methods, name[0].upper() + name[1:])
    return cls.model_validate(payload)


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        services: Services,
        *,
        batch: int = 20,
        idle_poll: float = 1.0,
        probe: Probe | None = None,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.services = services
        self.batch = batch
        self.idle_poll = idle_poll
        self.probe = probe or Probe()
        self.cards = CardPublisher(bot, services, session_factory)
        self._wake = asyncio.Event()
        self._stopping = False
        # Rows claimed before this worker existed belong to a process that died; rows claimed
        # since are this worker's own (e.g. by `drain` while `run` starts) and are in flight.
        self._started = services.now()

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        async with self.session_factory.begin() as session:
            return await outbox_crud.release_in_flight(session=session, older_than=self._started)

    async def run(self) -> None:
        await self.recover()
        while not self._stopping:
            # Cleared before looking, so a commit that lands while we send is not slept through.
            self._wake.clear()
            sent = await self.run_once()
            if sent == 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Send what is due now; the number of rows handled."""
        async with self.session_factory.begin() as session:
            rows = await outbox_crud.claim_due(
                session=session, limit=self.batch, now=self.services.now()
            )
        # A chat told to wait (429) or failing (5xx) gets nothing more from this batch either:
        # a later row overtaking the waiting one would reorder what its reader sees.
        held: dict[int | None, datetime] = {}
        for row in rows:
            until = held.get(row.chat_id)
            if until is not None:
                await self._postpone(row, until)
                continue
            until = await self._deliver(row)
            if until is not None:
                held[row.chat_id] = until
        return len(rows)

    async def drain(self, limit_seconds: float = 10.0) -> None:
        """Send until nothing is due (tests, demo)."""
        async with asyncio.timeout(limit_seconds):
            while await self.run_once():
                pass

    async def _deliver(self, row: OutboxMessage) -> datetime | None:
        """Send one row; when its chat must wait, until when."""
        assert row.id is not None
        try:
            result = await self._send(row)
            async with self.session_factory.begin() as session:
                await self._record(session, row, result)
                await outbox_crud.finish(
                    session=session,
                    message_id=row.id,
                    status=SENT,
                    result_message_id=_first_id(result),
                )
        except ThreadUnavailable as exc:
            await self._later(row, exc.delay, str(exc), count=False)
        except TelegramRetryAfter as exc:
            return await self._later(row, exc.retry_after, exc.message, count=False, hold=True)
        except TelegramMigrateToChat as exc:
            await self._migrated(row, exc.migrate_to_chat_id)
        except TelegramForbiddenError as exc:
            await self._forbidden(row, exc.message)
        except RecipientUnreachable as exc:
            await self._forbidden(row, str(exc))
        except MissingFile as exc:
            await self._finish(row, FAILED, str(exc))
        except TelegramBadRequest as exc:
            if any(marker in exc.message for marker in HARMLESS):
                await self._finish(row, SENT, exc.message)
            else:
                log.warning("outbox %s rejected: %s", row.id, exc.message)
                await self._finish(row, FAILED, exc.message)
        except (TelegramNetworkError, TelegramServerError, TimeoutError) as exc:
            return await self._retry_or_fail(row, str(exc) or type(exc).__name__)
        except TelegramAPIError as exc:
            await self._finish(row, FAILED, exc.message)
        return None

    async def _send(self, row: OutboxMessage) -> Any:
        if row.kind == "card":
            assert row.case_id is not None
            self.probe.before_request(row)
            return await self.cards.publish(row.case_id)
        payload = dict(row.payload)
        if row.kind == "thread":
            assert row.case_id is not None
            payload |= await self.cards.thread_target(row.case_id)
        elif row.recipient_user_id is not None:
            async with self.session_factory() as session:
                user = await users_crud.get_user(session=session, user_id=row.recipient_user_id)
            if user is not None and user.unreachable_at is not None:
                raise RecipientUnreachable("recipient unreachable (blocked the bot earlier)")
        payload = await self._with_files(payload)
        self.probe.before_request(row)
        return await self.bot(build_method(row.method, payload))

    async def _with_files(self, payload: dict[str, Any]) -> dict[str, Any]:
        """`{"stored_file": id}` in a payload becomes the file's bytes, read at send time."""
        refs = {k: v for k, v in payload.items() if isinstance(v, dict) and "stored_file" in v}
        if not refs:
            return payload
        async with self.session_factory() as session:
            for key, ref in refs.items():
                stored = await files_crud.get_file(session=session, file_id=int(ref["stored_file"]))
                if stored is None:
                    raise MissingFile(f"stored file {ref['stored_file']} is gone")
                payload = payload | {key: BufferedInputFile(stored.data, filename=stored.filename)}
        return payload

    async def _record(self, session: AsyncSession, row: OutboxMessage, result: Any) -> None:
        if row.case_id is None or row.kind == "card":
            return
        for message in result if isinstance(result, list) else [result]:
            if isinstance(message, Message):
                await link_message(
                    session=session,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    case_id=row.case_id,
                )

    async def _finish(self, row: OutboxMessage, status: str, error: str | None) -> None:
        assert row.id is not None
        async with self.session_factory.begin() as session:
            await outbox_crud.finish(session=session, message_id=row.id, status=status, error=error)

    async def _later(
        self, row: OutboxMessage, seconds: float, error: str, *, count: bool, hold: bool = False
    ) -> datetime:
        """Back to pending, due in `seconds`; with `hold`, the chat's other rows wait as long."""
        assert row.id is not None
        attempts = row.attempts + (1 if count else 0)
        when = self.services.now() + timedelta(seconds=seconds)
        async with self.session_factory.begin() as session:
            await outbox_crud.retry_later(
                session=session, message_id=row.id, attempts=attempts, when=when, error=error
            )
            if hold:
                await outbox_crud.hold_chat(session=session, chat_id=row.chat_id, until=when)
        return when

    async def _postpone(self, row: OutboxMessage, until: datetime) -> None:
        """Unclaim a row whose chat is waiting; not an attempt, so nothing is counted."""
        assert row.id is not None
        async with self.session_factory.begin() as session:
            await outbox_crud.retry_later(
                session=session,
                message_id=row.id,
                attempts=row.attempts,
                when=until,
                error=row.last_error or "its chat is waiting",
            )

    async def _retry_or_fail(self, row: OutboxMessage, error: str) -> datetime | None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            log.error("outbox %s failed after %s attempts: %s", row.id, MAX_ATTEMPTS, error)
            await self._finish(row, FAILED, error)
            return None
        delay = min(60.0, 0.5 * 2**row.attempts) * random.uniform(0.8, 1.2)
        return await self._later(row, delay, error, count=True, hold=True)

    async def _forbidden(self, row: OutboxMessage, error: str) -> None:
        assert row.id is not None
        async with self.session_factory.begin() as session:
            await outbox_crud.finish(session=session, message_id=row.id, status=FAILED, error=error)
            if row.recipient_user_id is not None:
                user = await users_crud.get_user(session=session, user_id=row.recipient_user_id)
                if user is not None and user.unreachable_at is None:
                    await users_crud.set_unreachable(
                        session=session, user_id=user.id, when=self.services.now()
                    )
            if row.report_failure and row.case_id is not None:
                await conversation.delivery_failed(
                    session=session, services=self.services, case_id=row.case_id, reason=error
                )
        self.wake()

    async def _migrated(self, row: OutboxMessage, new_chat_id: int) -> None:
        await self.cards.follow_migration(row, new_chat_id)
        await self._later(row, 0, f"chat migrated to {new_chat_id}", count=False)


def _first_id(result: Any) -> int | None:
    if isinstance(result, list):
        result = result[0] if result else None
    return result.message_id if isinstance(result, Message) else None

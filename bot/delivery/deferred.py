"""Commit first, then tell: what a handler says and the conversation state it sets take effect
only when the update's transaction commits.

While an update is handled (a `Deferral` is current), a Bot API call that would show something
to someone is not made: it becomes an outbox row of the update's own transaction, in the order
the handler made it, and the delivery worker sends it once the transaction commits (at once:
such rows are handed to the worker on commit). The rows of one update are staged and written and
handed over together when the handler is done (`storage.crud.outbox.stage`). A rollback takes
the rows with it, so nobody is told of what did not happen; a send that fails after the commit
is retried by the outbox like any other. Calls that only read (getChat, getFile, …) go through.
Conversation state (FSM) written meanwhile is kept aside and applied after the commit, so a
failed transaction leaves the conversation where it was; what the commit hands to the worker is
held until then (`HeldHandoff`), so nobody is asked a question before the state their answer
needs is there — their answer may reach another instance, which reads the state from Redis.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, FSInputFile, InputFile
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.gate import current_send
from bot.delivery.notify import INTERACTIVE
from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.crud.handoff import Claimer, Queued
from storage.models import OutboxMessage
from storage.session import app_session

log = logging.getLogger(__name__)

# Calls that change nothing anyone sees; they are made at once.
IMMEDIATE = frozenset({"sendChatAction"})
# A button's spinner stops with its answer: ahead of the rest of the chat's queue.
TOAST_PRIORITY = INTERACTIVE - 1


@dataclass
class Deferral:
    """What one update's handling has said and set, until its transaction commits."""

    session: AsyncSession
    # The chat the update came from: a callback's answer is queued in its lane.
    chat_id: int | None
    states: dict[StorageKey, str | None] = field(default_factory=dict)
    data: dict[StorageKey, dict[str, Any]] = field(default_factory=dict)


current: ContextVar[Deferral | None] = ContextVar("deferral", default=None)


def reads_only(method: TelegramMethod[Any]) -> bool:
    name = method.__api_method__
    return name.startswith("get") or name in IMMEDIATE


class DeferCalls(BaseRequestMiddleware):
    """Turns the calls a handler makes into outbox rows of its transaction (see the module)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        deferral = current.get()
        # The delivery worker's own calls (a task started while a handler ran inherits its
        # context) are the sending of what was deferred, never deferred again.
        if deferral is None or reads_only(method) or current_send.get() is not None:
            return await make_request(bot, method)
        row = await outbox_row(deferral, bot, method)
        await outbox_crud.stage(session=deferral.session, messages=[row])
        # Handlers do not wait for Telegram's answer (nothing is sent yet); True is what the
        # Bot API answers to the calls that return no object.
        return True


async def outbox_row(deferral: Deferral, bot: Bot, method: TelegramMethod[Any]) -> OutboxMessage:
    name = method.__api_method__
    # Defaults are left out, so the bot's own apply when the row is sent (nested ones are
    # resolved now, as the session would); files are kept in the database until then.
    payload: dict[str, Any] = {}
    for key, value in method:
        if value is None or isinstance(value, Default):
            continue
        if isinstance(value, InputFile):
            payload[key] = await _stored(deferral.session, value)
        else:
            payload[key] = bot.session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
    chat_id = payload.get("chat_id")
    if not isinstance(chat_id, int):
        chat_id = deferral.chat_id
    private = chat_id is not None and chat_id > 0
    return OutboxMessage(
        kind="send",
        method=name,
        chat_id=chat_id,
        recipient_user_id=chat_id if private else None,
        payload=payload,
        priority=TOAST_PRIORITY if name == "answerCallbackQuery" else INTERACTIVE,
    )


async def _stored(session: AsyncSession, file: InputFile) -> dict[str, int]:
    if isinstance(file, BufferedInputFile):
        data = file.data
    elif isinstance(file, FSInputFile):
        data = await asyncio.to_thread(Path(file.path).read_bytes)
    else:
        raise TypeError(f"cannot keep a {type(file).__name__} for later sending")
    filename = file.filename or "file"
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    stored = await files_crud.store_file(
        session=session, filename=filename, content_type=content_type, data=data
    )
    assert stored.id is not None
    return {"stored_file": stored.id}


class DeferredStorage(BaseStorage):
    """FSM storage whose writes during an update wait for its commit (see `apply`)."""

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        deferral = current.get()
        if deferral is None:
            await self.inner.set_state(key, value)
        else:
            deferral.states[key] = value

    async def get_state(self, key: StorageKey) -> str | None:
        deferral = current.get()
        if deferral is not None and key in deferral.states:
            return deferral.states[key]
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        deferral = current.get()
        if deferral is None:
            await self.inner.set_data(key, data)
        else:
            deferral.data[key] = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        deferral = current.get()
        if deferral is not None and key in deferral.data:
            return dict(deferral.data[key])
        return await self.inner.get_data(key)

    async def apply(self, deferral: Deferral) -> None:
        """After the commit: the conversation moves on."""
        for key, state in deferral.states.items():
            await self.inner.set_state(key, state)
        for key, data in deferral.data.items():
            await self.inner.set_data(key, data)

    async def close(self) -> None:
        await self.inner.close()


class HeldHandoff:
    """Stands in for a session's claimer (the delivery worker): what its commits hand over
    waits until the `with` block ends, the rest goes straight through."""

    def __init__(self) -> None:
        self._claimer: Claimer | None = None
        self._held: list[Queued] = []

    def hold(self, session: AsyncSession) -> None:
        state = app_session(session)
        if state.claimer is not None:
            self._claimer, state.claimer = state.claimer, self

    def __enter__(self) -> HeldHandoff:
        return self

    def __exit__(self, *exc: object) -> None:
        held, self._held = self._held, []
        for queued in held:
            try:
                self._worker.committed(queued)
            except Exception:  # committed is committed: the worker's next look finds the rows
                log.exception("handing queued outbox rows to the worker failed")

    @property
    def _worker(self) -> Claimer:
        assert self._claimer is not None  # nothing reaches this one before `hold`
        return self._claimer

    def takes(self, message: OutboxMessage) -> bool:
        return self._worker.takes(message)

    async def take(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> list[OutboxMessage]:
        return await self._worker.take(session, rows)

    async def record(self, session: AsyncSession, rows: Sequence[OutboxMessage]) -> Any:
        return await self._worker.record(session, rows)

    def committed(self, queued: Queued) -> None:
        self._held.append(queued)

    def dropped(self, queued: Queued) -> None:
        self._worker.dropped(queued)

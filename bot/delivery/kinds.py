"""How each kind of outbox row becomes Bot API calls, and which chat it lands in.

A kind resolves the target chat of its rows when they are claimed (the limits are per chat) and
makes the calls when their turn comes. "send" is a ready request, delivery's own; features
bring their own kinds (a case's card and thread, the public channel's posts), which the wiring
hands to the worker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import Bot, methods
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.delivery.documents import Documents, is_document
from bot.delivery.errors import MissingFile, Outcome
from storage.crud import files as files_crud
from storage.models import OutboxMessage


@dataclass
class Context:
    bot: Bot
    services: Services
    session_factory: async_sessionmaker[AsyncSession]
    # Every kind of row this worker sends, by name.
    kinds: Mapping[str, Kind]
    request_timeout: float
    documents: Documents


@dataclass(frozen=True)
class Target:
    chat_id: int
    # A case's card that was never posted: under load it may be listed in a batch instead.
    new_card: bool = False


class Kind(Protocol):
    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]: ...

    async def send(self, row: OutboxMessage, ctx: Context) -> Any: ...

    # Whether the messages sent are linked to the row's case (a reply to them finds it).
    links_messages: bool


def build_method(name: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    cls = getattr(methods, name[0].upper() + name[1:])
    return cls.model_validate(payload)


async def with_files(ctx: Context, row: OutboxMessage, payload: dict[str, Any]) -> dict[str, Any]:
    """`{"stored_file": id}` in a row's payload becomes the file's bytes, read at send time,
    and `{"layout": …}` the document laid out from the words it carries."""
    payload = payload | {
        key: await ctx.documents.file(ref, row.id)
        for key, ref in payload.items()
        if is_document(ref)
    }
    refs = {k: v for k, v in payload.items() if isinstance(v, dict) and "stored_file" in v}
    if not refs:
        return payload
    async with ctx.session_factory() as session:
        for key, ref in refs.items():
            stored = await files_crud.get_file(session=session, file_id=int(ref["stored_file"]))
            if stored is None:
                raise MissingFile(f"stored file {ref['stored_file']} is gone")
            payload = payload | {key: BufferedInputFile(stored.data, filename=stored.filename)}
    return payload


class Publisher:
    """Renders a message from the database when its row's turn comes, and posts or edits it."""

    def __init__(
        self, bot: Bot, services: Services, session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        self.bot = bot
        self.services = services
        self.session_factory = session_factory


def named_chats(
    rows: Sequence[OutboxMessage], chat_of: Callable[[OutboxMessage], object], missing: str
) -> dict[int, Target | Outcome]:
    """Rows that name their chat themselves go there; one that names none fails as `missing`."""
    found: dict[int, Target | Outcome] = {}
    for row in rows:
        assert row.id is not None
        chat_id = chat_of(row)
        found[row.id] = (
            Target(chat_id) if isinstance(chat_id, int) else Outcome("failed", error=missing)
        )
    return found


class SendKind:
    links_messages = True

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        return named_chats(
            rows,
            lambda row: row.chat_id if row.chat_id is not None else row.payload.get("chat_id"),
            "the row names no chat",
        )

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        payload = await with_files(ctx, row, dict(row.payload))
        return await ctx.bot(
            build_method(row.method, payload), request_timeout=math.ceil(ctx.request_timeout)
        )


def new_card(row: OutboxMessage, result: Any) -> bool:
    """A card posted for the first time (not an edit): notes parked until it existed may go."""
    return row.kind == "card" and isinstance(result, Message) and not result.edit_date


def sent_messages(result: Any) -> list[Message]:
    items = result if isinstance(result, list) else [result]
    return [m for m in items if isinstance(m, Message)]

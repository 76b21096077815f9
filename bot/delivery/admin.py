"""Failed deliveries, for admins: which messages did not arrive and why, and sending them again.

The same functions serve `/failed` in the officers' chat and `studentvoice outbox failed|retry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.filters.callback_data import CallbackData
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.domain.chats import OFFICERS
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.models import Case, OutboxMessage

SHOWN = 10


class OutboxCB(CallbackData, prefix="ob"):
    action: str  # retry | retry_all
    row_id: int = 0


@dataclass
class FailedItem:
    row: OutboxMessage
    case: Case | None
    # Who it was for, never naming a person (the list is shown in a group): a chat's purpose
    # ("officers", "sensitive", "committee"), "group" for another group or channel, or
    # "person" for anyone in private, a student or not.
    recipient: str = "person"


async def failed(*, session: AsyncSession, limit: int = SHOWN) -> tuple[list[FailedItem], int]:
    """The most recent failed rows (newest first) with their cases, and how many there are."""
    total = await session.scalar(
        select(func.count()).where(col(OutboxMessage.status) == outbox_crud.FAILED)
    )
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.status) == outbox_crud.FAILED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )
    purposes = {b.chat_id: b.purpose for b in await users_crud.bindings(session=session)}
    items = []
    for row in rows:
        case = await session.get(Case, row.case_id) if row.case_id is not None else None
        recipient = "person" if row.chat_sealed else recipient_of(row.chat_id, purposes)
        items.append(FailedItem(row, case, recipient))
    return items, int(total or 0)


def recipient_of(chat_id: int | None, purposes: dict[int, str]) -> str:
    if chat_id is None:  # a card or a note, for the officers' chat of its case
        return OFFICERS
    if chat_id in purposes:
        return purposes[chat_id]
    return "group" if chat_id < 0 else "person"


async def retry(*, session: AsyncSession, services: Services, ids: Sequence[int] | None) -> int:
    """Failed rows (these, or all) go back to the queue with fresh attempts."""
    return await outbox_crud.retry_failed(session=session, ids=ids, now=services.now())


def view(services: Services, items: list[FailedItem], total: int) -> dict[str, Any]:
    """The /failed message: the list and a retry button for each row and for all."""
    locale = services.group_locale
    text = services.renderer.render(locale, "group/failed.html", items=items, total=total)
    payload: dict[str, Any] = {"text": text}
    if items:
        _ = services.renderer.translator(locale)
        kb = Keyboard()
        for item in items:
            kb.button(
                text=_("Retry #%(id)s") % {"id": item.row.id},
                callback_data=OutboxCB(action="retry", row_id=item.row.id or 0),
            )
        kb.button(text=_("Retry all"), callback_data=OutboxCB(action="retry_all"))
        kb.adjust(3)
        payload["reply_markup"] = as_dict(kb)
    return payload

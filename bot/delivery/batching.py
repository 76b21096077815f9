"""The officers' group under load: new cases listed together when cards cannot keep up.

A group takes 20 messages a minute, edits included. While that is enough, every new case gets
its own card. When more new cards wait than the group's window has room for (keeping a quarter
of it for edits and officers' own business), the waiting cases go out as one message instead —
number, category and the start of the text, one line each, with a button per case that posts
its card (`plan` decides). At Telegram's limits a list of up to 50 every few seconds shows 10
new cases a second within seconds, using about 12 of the minute's 20 messages. Repeated edits
of one card never cost more than one call: the card is rendered when sent, and rows for the
same card waiting together go out as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.callbacks import CardCB
from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.delivery import notify
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage

MAX_BATCH = 50
BUTTONS_PER_ROW = 4
OPEN = "open"


@dataclass(frozen=True)
class Plan:
    """What a group's lane does with its next slot: "other" (its first row, as always), "card"
    (the oldest new case's card alone), "batch" (list the waiting new cases), or "hold" (keep
    the new cases `hold` seconds more, so the next list is fuller)."""

    action: str
    hold: float = 0.0


def plan(
    *, head_new: bool, waiting: int, oldest_age: float, available: int, limit: int, window: float
) -> Plan:
    """Asked with the group's next slot in hand. `waiting`: new cards queued, the oldest
    `oldest_age` seconds; `available`: what the group's window has left beyond this slot.

    Cards one by one while the rest of them fit with a quarter of the window to spare. Past
    that, lists — but no more than one per two slots' worth of the group's rate (one every six
    seconds at 20 a minute) unless one is full: a list sent at every free slot would spend the
    minute's budget in its first seconds and leave later cases waiting for the window to roll.
    A new case waiting half a window goes ahead of everything else.
    """
    urgent = waiting > 0 and oldest_age >= window / 2
    if waiting == 0 or not (head_new or urgent):
        return Plan("other")
    if waiting == 1 or waiting - 1 <= available - max(1, limit // 4):
        return Plan("card")
    hold_after = 2 * window / limit
    if waiting >= MAX_BATCH or oldest_age >= hold_after or urgent:
        return Plan("batch")
    return Plan("hold", hold_after - oldest_age)


async def load_cases(session: AsyncSession, case_ids: Sequence[int]) -> list[Case]:
    cases = await session.scalars(select(Case).where(col(Case.id).in_(list(case_ids))))
    by_id = {case.id: case for case in cases}
    return [by_id[i] for i in case_ids if i in by_id]


def compose(services: Services, cases: Sequence[Case]) -> dict[str, Any]:
    """The sendMessage payload (without chat) listing the cases, a button for each."""
    text = services.renderer.render(
        services.group_locale, "group/batch.html", cases=cases, category=services.org.category
    )
    kb = Keyboard()
    for case in cases:
        kb.button(text=case.number, callback_data=CardCB(action=OPEN, case_id=case.id or 0))
    kb.adjust(BUTTONS_PER_ROW)
    return {"text": text, "parse_mode": "HTML", "reply_markup": as_dict(kb)}


async def open_card(*, session: AsyncSession, case_id: int) -> bool:
    """Post a listed case's card ahead of the queue; False when it is already in the chat."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or case.card_message_id is not None:
        return False
    queued = (
        await session.scalars(
            select(OutboxMessage).where(
                col(OutboxMessage.coalesce_key) == f"card:{case_id}",
                col(OutboxMessage.status) == outbox_crud.PENDING,
            )
        )
    ).first()
    if queued is not None:
        # Interactive rows are never listed again: this one becomes the card itself.
        queued.priority = notify.INTERACTIVE
        session.add(queued)
        return True
    row = notify.card_refresh(case)
    row.priority = notify.INTERACTIVE
    await outbox_crud.enqueue(session=session, messages=[row])
    return True

"""The two-admin reveal's stories: three admins, a student, and an anonymous case of theirs."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.devkit.emulator.models import SimMessage
from storage.models import AuditEntry, OutboxMessage, RevealRequest
from tests.support.harness import ADMIN_ID, Harness
from tests.support.officer_helpers import case_of, officer_harness

SECOND_ADMIN, THIRD_ADMIN = 9003, 9004
STUDENT_ID, STUDENT_NAME, STUDENT_USERNAME = 4711, "Wenjing", "wenjing_x"
REASON = "她在补充信息中说今晚要伤害自己，需要立即联系本人。"
APPROVE, REFUSE = "批准", "拒绝"


@dataclass
class World:
    h: Harness
    asker: SimUser  # ADMIN_ID
    second: SimUser
    third: SimUser
    student: SimUser
    number: str


@contextlib.asynccontextmanager
async def reveal_world(
    emulator: BotAPIEmulator, database_url: str, *, admins: tuple[int, ...] | None = None
) -> AsyncIterator[World]:
    """Three admins (by ADMIN_IDS) unless `admins` says otherwise; a student who submitted an
    anonymous grievance through the bot, its author then sealed."""
    chosen = list(admins or (ADMIN_ID, SECOND_ADMIN, THIRD_ADMIN))
    async with officer_harness(emulator, database_url, admin_ids=chosen) as h:
        assert h.admin is not None
        second = h.emu.add_user(SECOND_ADMIN, "赵主席", username="chair_zhao", started=True)
        third = h.emu.add_user(THIRD_ADMIN, "钱秘书", username="secretary_qian", started=True)
        student = await h.student(STUDENT_ID, STUDENT_NAME, username=STUDENT_USERNAME)
        number = await h.submit(student, anonymous=True)
        case = await case_of(h, number)
        # Submission sealed its author: the reveal has nothing else to go on.
        assert case.submitter_id is None and case.author_sealed is not None
        yield World(h, h.admin, second, third, student, number)


async def say_private(h: Harness, who: SimUser, text: str) -> SimMessage:
    message = await who.send(text)
    await h.settle()
    return message


def texts(h: Harness, who: SimUser, since: int = 0) -> list[str]:
    return [m.text or "" for m in h.emu.bot_messages(who.id) if m.created_mark >= since]


def request_message(h: Harness, who: SimUser) -> SimMessage:
    """The admin's latest message asking them to approve a reveal."""
    for message in reversed(h.emu.bot_messages(who.id)):
        if APPROVE in [text for text, _ in message.buttons()]:
            return message
    raise AssertionError("no reveal request with buttons")


def names_student(text: str) -> bool:
    """Whether a text names the student: their id, @username or name."""
    return bool(
        re.search(rf"(?<![0-9]){STUDENT_ID}(?![0-9])", text)
        or STUDENT_USERNAME in text
        or STUDENT_NAME in text
    )


def identity_shown_to(h: Harness, who: SimUser) -> bool:
    return any(names_student(text) for text in texts(h, who))


async def rows(h: Harness, model: Any) -> list[Any]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(model).order_by(col(model.id))))


async def requests(h: Harness) -> list[RevealRequest]:
    return await rows(h, RevealRequest)


async def audit(h: Harness) -> list[AuditEntry]:
    """The reveal's entries (the harness's /officer at the start is one too)."""
    return [entry for entry in await rows(h, AuditEntry) if entry.action.startswith("reveal")]


async def last_outbox_id(h: Harness) -> int:
    return max((row.id or 0 for row in await rows(h, OutboxMessage)), default=0)


async def outbox_naming_student(h: Harness, after: int) -> list[OutboxMessage]:
    """Outbox rows queued after row `after`, still stored, that name the student or are
    addressed to them."""
    found = []
    for row in await rows(h, OutboxMessage):
        if (row.id or 0) <= after:
            continue
        if STUDENT_ID in (row.chat_id, row.recipient_user_id) or names_student(
            json.dumps(row.payload, ensure_ascii=False)
        ):
            found.append(row)
    return found

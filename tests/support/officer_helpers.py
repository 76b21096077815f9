"""What the officer-side tests share: harness variants, officer actions, database look-ups."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from bot.cases.actions import Draft, submit_case
from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator, RecordedRequest, SimGroup, SimUser
from bot.devkit.emulator.models import SimMessage
from bot.devkit.emulator.serialize import user_dict
from storage.crud import users as users_crud
from storage.models import Case, CaseEvent, OutboxMessage, User
from storage.types import utcnow
from tests.support.harness import (
    ADMIN_ID,
    DEFAULT_TEXT,
    OFFICER_ID,
    OFFICERS_CHAT,
    Harness,
    reset_database,
    start_bot,
)

SENSITIVE_CHAT = -1001000000002
SIGNATURE = "学生会权益部"

# The card's buttons as officers see them (zh_Hans, the group's language).
ACCEPT, ASK_INFO, FORWARD, REJECT, ANSWER, MERGE = "受理", "需补充", "转办", "驳回", "答复", "合并"
RECATEGORISE = "重新分类"
# A preview's buttons: the text it shows is sent only on the first.
SEND, CHANGE, DROP = "发送", "修改", "取消"


class OfficerHarness(Harness):
    """The harness of the officer-side tests (their helpers below take one)."""


@contextlib.asynccontextmanager
async def officer_harness(
    emulator: BotAPIEmulator,
    database_url: str,
    *,
    forum: bool = False,
    reset: bool = True,
    worker: bool = True,
    grant_officer: bool = True,
    **overrides: Any,
) -> AsyncIterator[OfficerHarness]:
    """Like the `harness` fixture, with a choice of forum mode, worker and settings."""
    if reset:
        engine = await reset_database(database_url)
        await engine.dispose()
    group = _group(emulator, OFFICERS_CHAT, "权益部工作群", forum)
    admin = _user(emulator, ADMIN_ID, "管理员", "union_admin")
    officer = _user(emulator, OFFICER_ID, "王老师", "officer_wang")
    group.add_member(admin, status="creator")
    group.add_member(officer)
    async with start_bot(emulator, database_url, worker=worker, **overrides) as app:
        h = OfficerHarness(
            emu=emulator,
            driver=Driver(app, deliver=worker),
            group=group,
            app=app,
            admin=admin,
            officer=officer,
        )
        try:
            if grant_officer:
                await admin.send(f"/officer {OFFICER_ID}", chat=group)
                await h.settle()
            yield h
        finally:
            await h.driver.close()


def _group(emu: BotAPIEmulator, chat_id: int, title: str, forum: bool) -> SimGroup:
    try:
        return emu.group(chat_id)
    except KeyError:
        return emu.add_group(chat_id=chat_id, title=title, is_forum=forum)


def _user(emu: BotAPIEmulator, user_id: int, name: str, username: str) -> SimUser:
    try:
        return emu.user(user_id)
    except KeyError:
        return emu.add_user(user_id=user_id, first_name=name, username=username)


# -- students and cases, when how they came about is not what a test is about ------------------


async def seed_user(
    h: Harness, session: Any, user_id: int, name: str, *, username: str | None = None
) -> SimUser:
    """Someone writing in Chinese whom the bot has met: known to Telegram and in the users table."""
    user = h.emu.add_user(user_id, name, username=username, language_code="zh-hans", started=True)
    await users_crud.upsert_user(
        session=session,
        user_id=user_id,
        first_name=name,
        username=username,
        language_code="zh-hans",
    )
    return user


async def seed_student(
    h: Harness, user_id: int, name: str, *, username: str | None = None, college: str = "clinical"
) -> SimUser:
    """A student who has consented and chosen Chinese and a college (the dialogue is skipped)."""
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        user = await seed_user(h, session, user_id, name, username=username)
        await session.execute(
            update(User)
            .where(col(User.id) == user_id)
            .values(
                consent_at=utcnow(),
                consent_version=h.app.services.org.privacy.notice_version,
                locale="zh_Hans",
                college_code=college,
            )
        )
    return user


async def user_of(session: Any, who: SimUser) -> User:
    """Their row in the users table, which must be there."""
    user = await session.get(User, who.id)
    assert user is not None
    return user


async def seed_students(h: Harness, *names: str) -> list[SimUser]:
    """Students (`seed_student`) numbered 1001, 1002, … in the order named."""
    return [await seed_student(h, 1001 + n, name) for n, name in enumerate(names)]


async def seed_case(
    h: Harness,
    student: SimUser,
    text: str = DEFAULT_TEXT,
    *,
    category: str = "logistics",
    anonymous: bool = False,
) -> str:
    """A grievance submitted through the service; its card and confirmation then go out as
    after a real submission (the /new dialogue itself is the students' tests' business)."""
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        user = await user_of(session, student)
        draft = Draft(kind="grievance", category=category, text=text, anonymous=anonymous)
        case = await submit_case(
            session=session, services=h.app.services, submitter=user, draft=draft
        )
        number = case.number
    h.app.worker.wake()
    await h.settle()
    return number


# -- acting as an officer -------------------------------------------------------------------


async def alice_with_case(h: Harness) -> tuple[SimUser, str]:
    """Where most officer stories begin: Alice (1001) and a grievance of hers; (her, its number)."""
    alice = await seed_student(h, 1001, "Alice")
    return alice, await seed_case(h, alice)


async def press(h: Harness, number: str, button: str, who: SimUser | None = None) -> str:
    """Press a button on the case's card (in whichever chat it lives); the callback query id."""
    presser = who or h.officer
    assert presser is not None
    query = await presser.press(card(h, number), button)
    await h.settle()
    return query


async def say(h: Harness, text: str, who: SimUser | None = None, **where: Any) -> SimMessage:
    """An officer writes in the officers' chat (e.g. the text a button asked for)."""
    sender = who or h.officer
    assert sender is not None
    where.setdefault("chat", h.group)
    message = await sender.send(text, **where)
    await h.settle()
    return message


async def act(h: Harness, number: str, button: str, text: str | None = None) -> None:
    """Press a card button and, when it asks for one, reply to its request with the text and
    send it from the preview (a case number to merge into needs no preview)."""
    await press(h, number, button)
    if text is None:
        return
    await reply_to_prompt(h, text, chat_id=chat_of_card(h, number))
    if button != MERGE:
        await send_preview(h, chat_of_card(h, number))


def prompt(h: Harness, chat_id: int | None = None) -> SimMessage:
    """The bot's latest request for a text in the chat (it is answered by replying to it)."""
    for message in reversed(h.emu.bot_messages(chat_id or h.group.id)):
        if (message.reply_markup or {}).get("force_reply"):
            return message
    raise AssertionError("the bot asked for no text")


def preview(h: Harness, chat_id: int | None = None) -> SimMessage:
    """The latest preview still waiting for 发送."""
    for message in reversed(h.emu.bot_messages(chat_id or h.group.id)):
        if SEND in [text for text, _ in message.buttons()]:
            return message
    raise AssertionError("no preview waits for 发送")


async def reply_to_prompt(
    h: Harness, text: str, who: SimUser | None = None, chat_id: int | None = None
) -> SimMessage:
    asked = prompt(h, chat_id)
    return await say(h, text, who=who, chat=asked.chat_id, reply_to=asked)


async def send_preview(
    h: Harness, chat_id: int | None = None, who: SimUser | None = None, button: str = SEND
) -> str:
    """Press 发送 (or another button) on the latest preview; the callback query id."""
    presser = who or h.officer
    assert presser is not None
    query = await presser.press(preview(h, chat_id), button)
    await h.settle()
    return query


async def forge(h: Harness, who: SimUser, data: str, on: SimMessage) -> str:
    """A press with callback data no button of `on` carries, as a modified client can send
    it from any chat it is in; the callback query id."""
    world = h.emu.world
    query_id = world.new_callback_query(who.profile, on, data)
    world.updates.push(
        "callback_query",
        {
            "id": query_id,
            "from": user_dict(who.profile),
            "message": world.render(on),
            "chat_instance": world.chat_instance(world.chats[on.chat_id]),
            "data": data,
        },
    )
    world.touch()
    await h.settle()
    return query_id


async def forward(h: Harness, number: str, department: str = "后勤保障处") -> None:
    await press(h, number, FORWARD)
    assert h.officer is not None
    await h.officer.press(card(h, number), department)
    await h.settle()


async def reply_to_card(
    h: Harness, number: str, text: str, who: SimUser | None = None
) -> SimMessage:
    """An officer replies to the case's card (the way to write to the student)."""
    message = card(h, number)
    return await say(h, text, who=who, chat=message.chat_id, reply_to=message)


def card(h: Harness, number: str) -> SimMessage:
    """The card of a case in any chat the bot posts cards to."""
    for chat in _group_chats(h):
        for message in h.emu.bot_messages(chat):
            if number in (message.text or "").split("\n", 1)[0]:
                return message
    raise AssertionError(f"no card for {number}")


def chat_of_card(h: Harness, number: str) -> int:
    return card(h, number).chat_id


def _group_chats(h: Harness) -> list[int]:
    # Not the public channel: a published case's post there names it too, and is no card.
    return [cid for cid, chat in h.emu.world.chats.items() if cid < 0 and chat.type != "channel"]


def alert(h: Harness, query_id: str) -> tuple[str | None, bool]:
    """What the presser was shown for a callback query: (text, as an alert)."""
    return h.emu.callback_answers[query_id]


# -- what people received ---------------------------------------------------------------------


def received(h: Harness, who: SimUser | SimGroup | int, since: int = 0) -> list[str]:
    """Texts (or captions) of the bot's messages in a chat, created at/after request `since`."""
    chat = who if isinstance(who, int) else who.id
    return [
        m.text or m.caption or ""
        for m in h.emu.bot_messages(chat)
        if m.created_mark >= since and m.kind != "service"
    ]


def requests_to(h: Harness, chat_id: int, since: int = 0) -> list[RecordedRequest]:
    return [r for r in h.emu.requests[since:] if r.chat_id == chat_id]


def sends_to(h: Harness, chat_id: int, since: int = 0) -> list[RecordedRequest]:
    """Attempts to post something new into a chat (successful or not)."""
    return [
        r
        for r in requests_to(h, chat_id, since)
        if r.method.startswith(("send", "copy", "forward"))
    ]


def serialized(request: RecordedRequest) -> str:
    return json.dumps(request.params, ensure_ascii=False, default=str)


# -- database -----------------------------------------------------------------------------------


async def case_of(h: Harness, number: str) -> Case:
    assert h.app is not None
    async with h.app.session_factory() as session:
        case = (await session.scalars(select(Case).where(col(Case.number) == number))).one()
    return case


async def events_of(h: Harness, number: str) -> list[CaseEvent]:
    case = await case_of(h, number)
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = await session.scalars(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.id))
        )
        return list(rows)


async def case_rows(h: Harness) -> list[OutboxMessage]:
    """What moves on cases queued (cards, threads, notifications) — not the answers to the
    presses and commands themselves, which go through the outbox too."""
    return [row for row in await outbox(h) if row.case_id is not None]


async def outbox(h: Harness, **where: Any) -> list[OutboxMessage]:
    assert h.app is not None
    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
    for key, value in where.items():
        stmt = stmt.where(col(getattr(OutboxMessage, key)) == value)
    async with h.app.session_factory() as session:
        return list(await session.scalars(stmt))


async def user_row(h: Harness, user_id: int) -> User | None:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return await session.get(User, user_id)


async def count(h: Harness, model: Any) -> int:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return len(list(await session.scalars(select(model))))


def freeze_clock(h: Harness, at: datetime | None = None) -> list[datetime]:
    """Replace the app's clock by one that moves only when told; returns its one-item box.

    It starts a day ahead: outbox rows are stamped due by the real clock when queued, and the
    worker compares that with the app's clock, so the app's clock must not lag behind.
    """
    assert h.app is not None
    box = [at or utcnow() + timedelta(days=1)]
    h.app.services.clock = lambda: box[0]
    return box


def advance(box: list[datetime], **delta: float) -> None:
    box[0] = box[0] + timedelta(**delta)

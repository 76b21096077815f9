"""Chats the bot loses: removed from the officers' group, or the group upgraded to a
supergroup. Admins are told in private, what goes there waits (never fails), and everything
resumes — with new cards for open cases — once an admin binds a chat again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.cases import conversation
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.emulator.models import SimChat, SimMessage
from bot.domain.workflow import State
from storage.crud import cases as cases_crud
from storage.models import ChatBinding
from tests.support.delivery_helpers import delivered, queue, texts
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    case_of,
    officer_harness,
    outbox,
    received,
    requests_to,
    say,
    seed_case,
    seed_student,
)

NEW_CHAT = -1002000000009
CHANNEL = -1003000000001
REMINDER = "提醒：今日有 1 件到期"


@pytest.fixture
async def harness(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Harness]:
    async with officer_harness(emulator, database_url) as h:
        assert h.admin is not None
        h.admin.profile.started = True  # admins hear of lost chats in private
        yield h


def cards_in(h: Harness, chat: SimGroup | int, number: str, since: int = 0) -> list[SimMessage]:
    """The case's cards posted in a chat (at/after request `since`): its buttons tell a card
    from a note about the case."""
    chat_id = chat if isinstance(chat, int) else chat.id
    return [
        m
        for m in h.emu.bot_messages(chat_id)
        if m.created_mark >= since and m.reply_markup and number in (m.text or "").split("\n", 1)[0]
    ]


async def binding(h: Harness, purpose: str = "officers") -> ChatBinding:
    assert h.app is not None
    async with h.app.session_factory() as session:
        found = await session.get(ChatBinding, purpose)
    assert found is not None
    return found


async def student_adds(h: Harness, number: str, student: SimUser, text: str) -> None:
    """The student adds information to the case: a note for its thread."""
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        case = await cases_crud.get_case_by_number(session=session, number=number)
        assert case is not None and case.id is not None
        await conversation.student_message(
            session=session,
            services=h.app.services,
            case_id=case.id,
            student_id=student.id,
            text=text,
        )
    h.app.worker.wake()
    await h.settle()


async def statuses(h: Harness) -> set[str]:
    return {row.status for row in await outbox(h)}


async def test_removed_from_the_officers_group_everything_waits_until_bound_again(
    harness: Harness,
) -> None:
    h = harness
    assert h.app is not None and h.admin is not None and h.group is not None
    alice = await seed_student(h, 1001, "Alice")
    first = await seed_case(h, alice)

    since = len(h.emu.requests)
    h.group.remove_bot(h.admin)
    await h.settle()
    notice = received(h, h.admin)[-1]
    assert "权益部工作群" in notice and "移出" in notice and "/bind" in notice
    assert (await binding(h)).lost_at is not None

    # Work goes on meanwhile: a new case, a note for the first, a reminder for the group.
    second = await seed_case(h, alice, "宿舍楼热水器坏了一周，报修无人处理。")
    await student_adds(h, first, alice, "补充：是二楼东侧的窗口。")
    await queue(h.app, texts(OFFICERS_CHAT, [REMINDER]))
    await h.settle()
    assert any(second in t for t in received(h, alice))  # the student is told as ever
    assert requests_to(h, OFFICERS_CHAT, since) == []  # the group is not even tried
    assert "failed" not in await statuses(h)
    assert len(received(h, h.admin)) == 1  # told once

    # Back in the group and bound again: everything arrives, with new cards.
    mark = len(h.emu.requests)
    h.group.add_bot(h.admin)
    await say(h, "/bind", who=h.admin)
    assert [len(cards_in(h, h.group, n, since=mark)) for n in (first, second)] == [1, 1]
    (new_card,) = cards_in(h, h.group, first, since=mark)
    note = next(m for m in h.emu.bot_messages(h.group) if "二楼东侧的窗口" in (m.text or ""))
    assert note.reply_to_message_id == new_card.message_id  # in the new card's thread
    assert REMINDER in delivered(h.emu, OFFICERS_CHAT)
    assert "failed" not in await statuses(h)
    assert (await binding(h)).lost_at is None
    assert "恢复" in received(h, h.admin)[-1]

    # Officers carry on with the new card.
    assert h.officer is not None
    await h.officer.press(new_card, ACCEPT)
    await h.settle()
    assert (await case_of(h, first)).state == State.ACCEPTED
    assert "已受理" in (h.emu.chat(OFFICERS_CHAT).get(new_card.message_id).text or "")  # type: ignore[union-attr]


async def test_refused_by_telegram_then_bound_in_a_new_group(harness: Harness) -> None:
    """The update about the removal never came: the first refused send says it, once."""
    h = harness
    assert h.app is not None and h.admin is not None and h.group is not None
    alice = await seed_student(h, 1001, "Alice")
    first = await seed_case(h, alice)
    h.group.set_bot_status("kicked")

    since = len(h.emu.requests)
    second = await seed_case(h, alice, "宿舍楼热水器坏了一周，报修无人处理。")
    third = await seed_case(h, alice, "图书馆空调温度过低。")
    await queue(h.app, texts(OFFICERS_CHAT, [REMINDER]))
    await h.settle()
    assert [r.error_code for r in requests_to(h, OFFICERS_CHAT, since)] == [403]
    assert "bot was kicked from the supergroup chat" in received(h, h.admin)[-1]
    assert "failed" not in await statuses(h)

    new = h.emu.add_group(NEW_CHAT, "权益部新工作群")
    new.add_member(h.admin, status="creator")
    assert h.officer is not None
    new.add_member(h.officer)
    await say(h, "/bind", who=h.admin, chat=new)
    for number in (first, second, third):
        assert len(cards_in(h, new, number)) == 1, number
    assert REMINDER in delivered(h.emu, NEW_CHAT)
    assert (await binding(h)).chat_id == NEW_CHAT
    assert "failed" not in await statuses(h)
    assert "1 件" in received(h, h.admin)[-1]  # one card posted anew (the others never were)

    (card,) = cards_in(h, new, first)
    await h.officer.press(card, ACCEPT)
    await h.settle()
    assert (await case_of(h, first)).state == State.ACCEPTED


async def test_a_lost_chat_stays_lost_across_a_restart(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """The settings still name the group: starting again does not put it back in service
    behind the admins' backs (only /bind does)."""
    async with officer_harness(emulator, database_url) as h:
        assert h.admin is not None and h.group is not None
        h.admin.profile.started = True
        alice = await seed_student(h, 1001, "Alice")
        h.group.remove_bot(h.admin)
        await h.settle()
        number = await seed_case(h, alice)

    since = len(emulator.requests)
    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        assert h.admin is not None and h.group is not None
        await h.settle()
        assert (await binding(h)).lost_at is not None
        assert [r.method for r in requests_to(h, OFFICERS_CHAT, since)] == ["getChat"]

        h.group.add_bot(h.admin)
        await say(h, "/bind", who=h.admin)
        assert len(cards_in(h, h.group, number)) == 1
        assert "failed" not in await statuses(h)


async def test_a_group_upgraded_to_a_supergroup_is_followed_and_admins_told(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    emulator.add_group(OFFICERS_CHAT, "权益部工作群", supergroup=False)
    async with officer_harness(emulator, database_url) as h:
        assert h.admin is not None and h.officer is not None
        h.admin.profile.started = True
        alice = await seed_student(h, 1001, "Alice")
        first = await seed_case(h, alice)

        emulator.migrate_group(OFFICERS_CHAT, NEW_CHAT, by=h.admin)
        await h.settle()
        notice = received(h, h.admin)[-1]
        assert str(NEW_CHAT) in notice and "OFFICERS_CHAT_ID" in notice
        assert (await binding(h)).chat_id == NEW_CHAT

        since = len(emulator.requests)
        second = await seed_case(h, alice, "宿舍楼热水器坏了一周，报修无人处理。")
        assert len(cards_in(h, NEW_CHAT, second)) == 1
        # The first case's card came along with the history: officers carry on with it.
        (card,) = cards_in(h, NEW_CHAT, first)
        await h.officer.press(card, ACCEPT)
        await h.settle()
        assert (await case_of(h, first)).state == State.ACCEPTED
        assert "已受理" in (emulator.chat(NEW_CHAT).get(card.message_id).text or "")  # type: ignore[union-attr]
        assert requests_to(h, OFFICERS_CHAT, since) == []
        assert "failed" not in await statuses(h)


async def test_the_public_channel_waits_until_the_bot_is_its_administrator_again(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    chat = SimChat(
        id=CHANNEL, type="channel", title="学生之声·提案公示", bot_status="administrator"
    )
    emulator.world.chats[CHANNEL] = chat
    channel = SimGroup(emulator.world, chat)
    async with officer_harness(emulator, database_url, public_channel_id=CHANNEL) as h:
        assert h.app is not None and h.admin is not None
        h.admin.profile.started = True
        channel.remove_bot(h.admin, status="left")
        await h.settle()
        assert "公示频道" in received(h, h.admin)[-1]

        since = len(emulator.requests)
        await queue(h.app, texts(CHANNEL, ["提案公示：图书馆考试周延时开放"]))
        await h.settle()
        assert requests_to(h, CHANNEL, since) == []

        channel.add_bot(h.admin)  # an administrator again: no /bind in a channel
        await h.settle()
        assert delivered(emulator, CHANNEL) == ["提案公示：图书馆考试周延时开放"]
        assert "恢复" in received(h, h.admin)[-1]
        assert "failed" not in await statuses(h)

"""重新分类: the category changes, the deadlines follow it, and a case that moves into or out
of the sensitive chat leaves nothing of its text in the chat it left."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.casework import deadlines as sla
from bot.core.callbacks import RecatCB
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.emulator.policy import FaultPolicy
from bot.domain.workflow import State
from storage.crud.pending import CANCELLED
from storage.models import PendingInput
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ANSWER,
    RECATEGORISE,
    REJECT,
    SENSITIVE_CHAT,
    act,
    alert,
    card,
    case_of,
    count,
    events_of,
    forge,
    officer_harness,
    press,
    prompt,
    received,
    say,
    seed_case,
    seed_student,
)

HARASSMENT, LOGISTICS = "骚扰与歧视", "后勤餐饮"
SECRET = "辅导员多次在晚上单独约我谈话并动手动脚，我很害怕。"
WRONG_CHAT = "属于另一个群"


@dataclass
class Chats:
    h: Harness
    small: SimGroup
    li: SimUser  # an officer of the sensitive chat only; h.officer is in the main chat only
    student: SimUser


async def _chats(emulator: BotAPIEmulator, database_url: str, forum: bool) -> AsyncIterator[Chats]:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组", is_forum=forum)
    async with officer_harness(
        emulator, database_url, forum=forum, sensitive_chat_id=SENSITIVE_CHAT
    ) as h:
        li = h.emu.add_user(5002, "李老师", username="officer_li")
        small.add_member(li)
        await say(h, "/officer 5002", who=h.admin)
        yield Chats(h, small, li, await seed_student(h, 1001, "Alice"))


@pytest.fixture
async def forums(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Chats]:
    async for chats in _chats(emulator, database_url, forum=True):
        yield chats


@pytest.fixture
async def groups(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Chats]:
    async for chats in _chats(emulator, database_url, forum=False):
        yield chats


def traces(h: Harness, chat_id: int, *words: str) -> list[str]:
    """What is left in a chat (anyone's message, a topic's name) that says any of `words`."""
    chat = h.emu.world.chats[chat_id]
    left = [m.text or m.caption or "" for m in chat.messages if not m.deleted]
    left += [t.name for t in chat.topics.values() if not t.deleted]
    return [text for text in left if any(word in text for word in words)]


async def recategorise(h: Harness, number: str, category: str, who: SimUser | None = None) -> None:
    await press(h, number, RECATEGORISE, who=who)
    assert category in [text for text, _ in card(h, number).buttons()]
    await press(h, number, category, who=who)


async def test_into_the_sensitive_chat_leaves_no_trace_in_the_general_one(forums: Chats) -> None:
    h, li = forums.h, forums.li
    assert h.app is not None
    harassment = h.app.services.org.category("harassment")
    assert harassment is not None
    harassment.first_response_days, harassment.answer_days = 0.5, 3
    number = await seed_case(h, forums.student, SECRET, category="logistics")
    before = await case_of(h, number)
    assert card(h, number).chat_id == OFFICERS_CHAT and traces(h, OFFICERS_CHAT, SECRET)
    # An officer is asked for an answer there, and writes in the case's topic.
    await press(h, number, ANSWER)
    assert number in (prompt(h, OFFICERS_CHAT).text or "")
    await say(h, "#内部 这个不是后勤的事，涉及骚扰", thread_id=before.topic_id)

    await recategorise(h, number, HARASSMENT)

    case = await case_of(h, number)
    assert case.category_code == "harassment" and case.state == State.SUBMITTED
    assert traces(h, OFFICERS_CHAT, SECRET, number, "骚扰") == []
    assert case.chat_id == SENSITIVE_CHAT and case.topic_id in forums.small.topics
    moved = card(h, number)
    assert moved.chat_id == SENSITIVE_CHAT and SECRET in (moved.text or "")
    assert moved.thread_id == case.topic_id
    assert any("重新分类" in t and HARASSMENT in t for t in received(h, SENSITIVE_CHAT))
    # The deadlines follow the new category's days, counted from the submission.
    dues = sla.initial(h.app.services, "harassment", before.created_at)
    assert case.first_response_due_at == dues.first_response != before.first_response_due_at
    assert case.answer_due_at == dues.answer != before.answer_due_at
    assert (await events_of(h, number))[-1].text == "logistics → harassment"
    # The answer asked for in the general chat can no longer be given.
    assert await count(h, PendingInput) == 1
    async with h.app.session_factory() as session:
        pending = (await session.scalars(select(PendingInput))).one()
    assert pending.status == CANCELLED

    # From the sensitive chat its officers work the case as any other.
    await press(h, number, "受理", who=li)
    assert (await case_of(h, number)).state == State.ACCEPTED


async def test_out_of_the_sensitive_chat_without_forums(groups: Chats) -> None:
    h, li = groups.h, groups.li
    number = await seed_case(h, groups.student, SECRET, category="harassment")
    assert card(h, number).chat_id == SENSITIVE_CHAT
    await say(h, "请问具体是哪天？", who=li, chat=groups.small, reply_to=card(h, number))

    await recategorise(h, number, LOGISTICS, who=li)

    assert traces(h, SENSITIVE_CHAT, SECRET, number) == []
    case = await case_of(h, number)
    assert case.category_code == "logistics" and case.chat_id == OFFICERS_CHAT
    assert card(h, number).chat_id == OFFICERS_CHAT and SECRET in (card(h, number).text or "")
    # A reply to a message the case left behind finds nothing: the links went with it.
    heard = len(received(h, groups.student))
    await press(h, number, "受理")
    assert (await case_of(h, number)).state == State.ACCEPTED
    assert len(received(h, groups.student)) == heard + 1


async def test_within_one_chat_only_the_category_and_deadlines_change(groups: Chats) -> None:
    h = groups.h
    number = await seed_case(h, groups.student, category="logistics")
    first = card(h, number)

    await recategorise(h, number, "宿舍住宿")

    assert (await case_of(h, number)).category_code == "dormitory"
    assert card(h, number).message_id == first.message_id  # edited in place
    assert "宿舍住宿" in (card(h, number).text or "")


async def test_refused_from_another_chat_or_to_a_non_officer(groups: Chats) -> None:
    h = groups.h
    assert h.officer is not None
    sensitive = await seed_case(h, groups.student, SECRET, category="harassment")
    ordinary = await seed_case(h, groups.student, category="logistics")
    case = await case_of(h, sensitive)
    assert case.id is not None

    # An officer of the general chat forges the choice for the sensitive case from there.
    data = RecatCB(case_id=case.id, category="logistics").pack()
    query = await forge(h, h.officer, data, card(h, ordinary))
    text, shown_as_alert = alert(h, query)
    assert shown_as_alert and WRONG_CHAT in (text or "")
    # A member of the chat who is no officer presses the button.
    stranger = h.emu.add_user(7001, "路人")
    groups.small.add_member(stranger)
    await stranger.press(card(h, sensitive), RECATEGORISE)
    await h.settle()

    assert (await case_of(h, sensitive)).category_code == "harassment"
    assert card(h, sensitive).chat_id == SENSITIVE_CHAT
    assert [e.action for e in await events_of(h, sensitive)] == ["submit"]
    assert traces(h, OFFICERS_CHAT, SECRET) == []


async def test_what_telegram_will_not_delete_is_emptied(forums: Chats) -> None:
    """Older than 48 hours, a message cannot be deleted (nor, without the right, a topic):
    the topic is closed under a neutral name and the card says only that the case moved."""
    h = forums.h
    number = await seed_case(h, forums.student, SECRET, category="logistics")
    topic = (await case_of(h, number)).topic_id
    assert topic is not None
    old_card = card(h, number)
    refused = "Bad Request: message can't be deleted"
    h.emu.policy = (
        FaultPolicy()
        .fail("deleteForumTopic", description="Bad Request: not enough rights")
        .fail("deleteMessage", times=10, description=refused)
    )

    await recategorise(h, number, HARASSMENT)

    assert traces(h, OFFICERS_CHAT, SECRET, number) == []
    stub = h.emu.world.chats[OFFICERS_CHAT].get(old_card.message_id)
    assert stub is not None and stub.text == "该案件已移交其他群处理。" and stub.buttons() == []
    assert h.group.topics[topic].closed and h.group.topics[topic].name == stub.text
    assert SECRET in (card(h, number).text or "") and card(h, number).chat_id == SENSITIVE_CHAT


async def test_a_topic_is_closed_with_its_case_and_reopened_for_review(forums: Chats) -> None:
    h, student = forums.h, forums.student
    rejected = await seed_case(h, student, category="logistics")
    await act(h, rejected, REJECT, "该问题不属于权益部受理范围。")
    topic = h.group.topics[(await case_of(h, rejected)).topic_id or 0]
    assert topic.closed and "不予受理" in topic.name

    answered = await seed_case(h, student, "宿舍楼热水供应不稳定，经常没有热水。")
    await press(h, answered, "受理")
    await act(h, answered, ANSWER, "已联系后勤处，本周内检修。")
    topic = h.group.topics[(await case_of(h, answered)).topic_id or 0]
    assert not topic.closed and "已答复" in topic.name
    topic.closed = True  # the officers closed it by hand, the case answered
    await student.press(h.last(student), "不满意")
    await h.settle()

    assert (await case_of(h, answered)).state == State.REOPENED
    assert not topic.closed and "复核中" in topic.name

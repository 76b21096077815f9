"""Who answers for a case (认领, 指派, 改派, 取消认领) and `/queue` with its lists and pages:
each change in the case's timeline and on its card, the officer given it told in private,
refused to anyone not an officer of the case's chat; the deadline reminder mentions them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.cases.reminders import due_now
from bot.core.callbacks import CardCB, OwnerCB
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.privacy import personal_data as privacy
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    SENSITIVE_CHAT,
    advance,
    alert,
    case_of,
    events_of,
    forge,
    freeze_clock,
    officer_harness,
    press,
    received,
    say,
    seed_case,
    seed_student,
    seed_user,
)
from tests.support.officer_helpers import card as card_of

CLAIM, PICK, REASSIGN, RELEASE = "认领", "指派…", "改派", "取消认领"
LI_ID = 5002


@dataclass
class Team:
    h: Harness
    li: SimUser  # a second officer, who has a private chat with the bot
    number: str


@pytest.fixture
async def team(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Team]:
    async with officer_harness(emulator, database_url) as h:
        assert h.app is not None
        async with h.app.session_factory.begin() as session:
            li = await seed_user(h, session, LI_ID, "李老师")
        h.group.add_member(li)
        await say(h, f"/officer {LI_ID}", who=h.admin)
        alice = await seed_student(h, 1001, "Alice")
        yield Team(h, li, await seed_case(h, alice))


def buttons(h: Harness, number: str) -> list[str]:
    return [text for text, _ in card_of(h, number).buttons()]


async def test_claim_reassign_and_release(team: Team) -> None:
    h, li, number = team.h, team.li, team.number
    assert h.officer is not None
    assert buttons(h, number)[-2:] == [CLAIM, PICK]
    assert "负责人" not in (card_of(h, number).text or "")

    await press(h, number, CLAIM)
    card = card_of(h, number).text or ""
    assert "负责人: 王老师" in card
    assert buttons(h, number)[-2:] == [REASSIGN, RELEASE]
    assert (await case_of(h, number)).assignee_id == h.officer.id
    # Taking it oneself tells nobody in private.
    assert not [t for t in received(h, h.officer) if number in t]

    await press(h, number, REASSIGN)
    offered = buttons(h, number)
    assert "✅ 王老师" in offered and "李老师" in offered and RELEASE in offered
    await h.officer.press(card_of(h, number), "李老师")
    await h.settle()
    assert "负责人: 李老师" in (card_of(h, number).text or "")
    assert (await case_of(h, number)).assignee_id == LI_ID
    told = [t for t in received(h, li) if number in t]
    assert len(told) == 1 and "已由你负责" in told[0] and "由 王老师 指派" in told[0]
    assert "食堂" not in told[0]  # the case's text stays in the chat

    # The assignee releases it; every change is in the timeline, naming the officers.
    await press(h, number, RELEASE, who=li)
    assert "负责人" not in (card_of(h, number).text or "")
    assert buttons(h, number)[-2:] == [CLAIM, PICK]
    assert (await case_of(h, number)).assignee_id is None
    changes = [
        (e.action, e.actor_id, e.text, e.public, e.to_state)
        for e in await events_of(h, number)
        if e.action.endswith("assign_officer")
    ]
    assert changes == [
        ("assign_officer", h.officer.id, str(h.officer.id), False, None),
        ("assign_officer", h.officer.id, str(LI_ID), False, None),
        ("unassign_officer", LI_ID, str(LI_ID), False, None),
    ]
    await say(h, f"/case {number}")
    timeline = (h.last(h.group).text or "").split("办理进程", 1)[1]
    assert "🔒 指派给 · 王老师: 李老师" in timeline
    assert "🔒 取消指派 · 李老师: 李老师" in timeline
    # The student hears nothing of who handles the case.
    alice = h.emu.user(1001)
    assert not [t for t in received(h, alice) if "负责" in t or "指派" in t]


async def test_a_non_officer_or_a_stale_choice_changes_nothing(team: Team) -> None:
    h, number = team.h, team.number
    member = h.emu.add_user(7001, "旁听同学", username="listener")
    h.group.add_member(member)
    case = await case_of(h, number)

    query = await press(h, number, CLAIM, who=member)
    assert alert(h, query) == ("只有权益部工作人员可以处理反馈。", True)
    query = await forge(
        h, member, OwnerCB(case_id=case.id or 0, user_id=7001).pack(), on=card_of(h, number)
    )
    assert alert(h, query)[1]
    # An officer's choice of someone who is not (or no longer) an officer.
    assert h.officer is not None
    query = await forge(
        h, h.officer, OwnerCB(case_id=case.id or 0, user_id=1001).pack(), on=card_of(h, number)
    )
    assert alert(h, query) == ("此人已不是权益部工作人员，请另选。", True)
    assert (await case_of(h, number)).assignee_id is None
    assert not [e for e in await events_of(h, number) if "assign_officer" in e.action]


@pytest.fixture
async def two_chats(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Team]:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        li = h.emu.add_user(LI_ID, "李老师", username="officer_li")
        small.add_member(li)
        await say(h, f"/officer {LI_ID}", who=h.admin)
        alice = await seed_student(h, 1001, "Alice")
        sensitive = await seed_case(
            h, alice, "室友长期在宿舍言语侮辱我，我很焦虑。", category="harassment"
        )
        yield Team(h, li, sensitive)


async def test_a_press_from_another_chat_is_refused(two_chats: Team) -> None:
    h, li, sensitive = two_chats.h, two_chats.li, two_chats.number
    case = await case_of(h, sensitive)
    assert card_of(h, sensitive).chat_id == SENSITIVE_CHAT
    # A button of the sensitive case's card, replayed from the general officers' chat.
    assert h.officer is not None
    await say(h, "/queue")
    for data in (
        CardCB(action="claim", case_id=case.id or 0).pack(),
        OwnerCB(case_id=case.id or 0, user_id=LI_ID).pack(),
    ):
        query = await forge(h, h.officer, data, on=h.last(h.group))
        assert alert(h, query) == ("该反馈属于另一个群，请在那里处理；未做任何更改。", True)
    assert (await case_of(h, sensitive)).assignee_id is None
    # In its own chat it works, and the queue there lists it with its assignee.
    small = h.emu.group(SENSITIVE_CHAT)
    await li.press(card_of(h, sensitive), CLAIM)
    await h.settle()
    assert (await case_of(h, sensitive)).assignee_id == LI_ID
    await say(h, "/queue mine", who=li, chat=small)
    assert sensitive in (h.last(small).text or "") and "李老师" in (h.last(small).text or "")
    await say(h, "/queue")
    assert sensitive not in (h.last(h.group).text or "")


def lines(message_text: str) -> list[str]:
    return [line for line in message_text.splitlines() if line[:1].isdigit()]


async def test_queue_lists_pages_and_filters(team: Team) -> None:
    h, li = team.h, team.li
    clock = freeze_clock(h)
    alice = h.emu.user(1001)
    bob = await seed_student(h, 1002, "Bob", college="nursing")
    numbers = [team.number]
    numbers += [await seed_case(h, alice, f"食堂第{n}号窗口的饭菜分量不足。") for n in range(10)]
    dorm = await seed_case(h, bob, "北区宿舍空调坏了一个多月。", category="dormitory")
    numbers.append(dorm)
    await press(h, numbers[0], CLAIM)
    await press(h, numbers[1], CLAIM)
    await press(h, dorm, CLAIM, who=li)

    await say(h, "/queue")
    listed = h.last(h.group)
    text = listed.text or ""
    assert "待办反馈 (12" in text and "第 1/2 页" in text
    assert len(lines(text)) == 10 and numbers[0] in text and dorm not in text  # oldest first
    assert "👤 王老师" in text and "👤 未分配" in text
    assert [t for t, _ in listed.buttons()] == ["• 全部", "我的", "未分配", "超时", "1/2", "▶"]

    assert h.officer is not None
    await h.officer.press(listed, "▶")
    await h.settle()
    page = h.last(h.group)
    assert page.message_id == listed.message_id and page.edited  # turned in place
    assert lines(page.text or "")[0].startswith("11. ") and dorm in (page.text or "")
    assert [t for t, _ in page.buttons()][-2:] == ["◀", "2/2"]

    # 我的: whoever presses sees their own.
    await h.officer.press(page, "我的")
    await h.settle()
    mine = h.last(h.group).text or ""
    assert "我的 (2" in mine and numbers[0] in mine and numbers[1] in mine and dorm not in mine
    await li.press(h.last(h.group), "qu:m:::0")
    await h.settle()
    theirs = h.last(h.group).text or ""
    assert "我的 (1" in theirs and dorm in theirs and numbers[0] not in theirs

    await h.officer.press(h.last(h.group), "未分配")
    await h.settle()
    unassigned = h.last(h.group).text or ""
    assert "未分配 (9" in unassigned and numbers[0] not in unassigned

    await h.officer.press(h.last(h.group), "超时")
    await h.settle()
    assert "✅" in (h.last(h.group).text or "")  # nothing overdue yet
    advance(clock, days=30)
    await h.officer.press(h.last(h.group), "qu:o:::0")
    await h.settle()
    assert "超时 (12" in (h.last(h.group).text or "")

    # Text filters, like /find's, and a word it does not know.
    await say(h, "/queue 未分配 学院:护理学院")
    assert "(0" in (h.last(h.group).text or "")
    await say(h, "/queue category:dormitory")
    only = h.last(h.group)
    assert dorm in (only.text or "") and "宿舍住宿 (1" in (only.text or "")
    await h.officer.press(only, "我的")  # the filter stays with the buttons
    await h.settle()
    assert "宿舍住宿 (0" in (h.last(h.group).text or "")
    await say(h, "/queue mine")
    assert "我的 (2" in (h.last(h.group).text or "")
    await say(h, "/queue 随便")
    assert "无法识别的列表或筛选条件：随便" in (h.last(h.group).text or "")
    # A button from a list whose filter no longer exists is answered, not guessed at.
    query = await forge(h, h.officer, "qu:a:nowhere::0", on=only)
    assert alert(h, query) == ("此列表已过期，请重新发送 /queue。", True)


async def test_the_reminder_mentions_the_assignee(team: Team) -> None:
    h, number = team.h, team.number
    assert h.app is not None and h.app.jobs is not None
    clock = freeze_clock(h)
    other = await seed_case(h, h.emu.user(1001), "图书馆自习室晚上十点就关门，太早了。")
    await press(h, number, PICK)
    assert h.officer is not None
    await h.officer.press(card_of(h, number), "李老师")
    await h.settle()
    moment = clock[0] + timedelta(days=20)
    while due_now(h.app.services, moment) is None:
        moment += timedelta(hours=6)
    advance(clock, seconds=(moment - clock[0]).total_seconds())
    before = len(h.emu.bot_messages(OFFICERS_CHAT))
    assert await h.app.jobs.reminders(moment) == 1
    await h.settle()
    sent = h.emu.bot_messages(OFFICERS_CHAT)[before:]
    assert len(sent) == 1
    text, html = sent[0].text or "", sent[0].html or ""
    mine = next(line for line in text.splitlines() if number in line)
    assert "👤 李老师" in mine
    assert f'<a href="tg://user?id={LI_ID}">李老师</a>' in html
    assert "👤" not in next(line for line in text.splitlines() if other in line)


async def test_an_erased_officer_is_named_nowhere(team: Team) -> None:
    h, li, number = team.h, team.li, team.number
    assert h.app is not None
    await press(h, number, CLAIM, who=li)
    async with h.app.session_factory.begin() as session:
        await privacy.erase_user(session=session, services=h.app.services, user_id=LI_ID)
    h.app.worker.wake()
    await h.settle()
    assert "李老师" not in (card_of(h, number).text or "")  # the card was redrawn
    assert (await case_of(h, number)).assignee_id is None
    assert [e.text for e in await events_of(h, number) if e.action == "assign_officer"] == [None]
    await say(h, f"/case {number}")
    shown = h.last(h.group).text or ""
    assert "🔒 指派给" in shown and "李老师" not in shown

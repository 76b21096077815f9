"""`/case` and `/find` in the officers' chats: a case opened by its number, the cases' texts
searched in Chinese, each only in the chat the case belongs to."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.domain.workflow import State
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    SENSITIVE_CHAT,
    act,
    advance,
    case_of,
    case_rows,
    forward,
    freeze_clock,
    officer_harness,
    received,
    reply_to_card,
    say,
    seed_case,
    seed_student,
)
from tests.support.officer_helpers import (
    card as card_of,
)
from tests.support.proposal_helpers import seed_congress, seed_proposal, seed_representatives

ELSEWHERE = "该案件不在本群处理"
IDENTITY = re.compile(r"424242|Xiaoyu|xiaoyu_l", re.IGNORECASE)
CANTEEN = "食堂二楼第{}号窗口的饭菜分量不足，价格偏高。"
DORM_AC = "北区宿舍空调坏了一个多月，报修后没有人来修。"


async def ask(
    h: Harness, text: str, who: SimUser | None = None, chat: SimGroup | None = None
) -> str:
    """An officer's command in a chat, and the text of the bot's reply to it."""
    where = chat or h.group
    sent = await say(h, text, who=who, chat=where)
    answer = h.last(where)
    assert answer.reply_to_message_id == sent.message_id, "the bot did not answer the command"
    return answer.text or ""


async def test_case_shows_card_timeline_holder_due_date_and_link(harness: Harness) -> None:
    h = harness
    clock = freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice", username="alice_w")
    number = await seed_case(h, alice)
    await act(h, number, ACCEPT)
    await reply_to_card(h, number, "#内部 已电话联系后勤，周五前答复。")
    await forward(h, number)
    assert "已超时" not in await ask(h, f"/case {number}")
    advance(clock, days=40)

    shown = await ask(h, f"/case {number.lower()}")

    card, _, rest = shown.partition("经办")
    assert number in card and "食堂二楼的饭菜" in card and "Alice" in card  # the card itself
    assert "办理中 → 后勤保障处" in card
    assert "部门答复期限" in card and "已超时" in card  # the department's due date, overdue
    assert "后勤保障处 · 王老师" in rest  # who holds it
    # Where its card is: a link to the card's message in this chat.
    link = f"https://t.me/c/{str(OFFICERS_CHAT)[4:]}/{card_of(h, number).message_id}"
    assert f'href="{link}"' in (h.last(h.group).html or "")
    timeline = rest.split("办理进程", 1)[1]
    lines = timeline.strip().splitlines()
    assert "已提交" in lines[0] and "学生" in lines[0]
    assert "权益部已受理" in lines[1] and "王老师" in lines[1]
    assert "🔒 内部备注" in lines[2] and "周五前答复" in lines[2]
    assert "已转交承办部门" in lines[3] and "后勤保障处" in lines[3]

    assert await ask(h, "/case G2026-9999") == "没有该编号的反馈。"
    assert "/case G2026-0042" in await ask(h, "/case")


async def test_case_of_an_anonymous_student_names_nobody(harness: Harness) -> None:
    h = harness
    student = await seed_student(h, 424242, "Xiaoyu", username="xiaoyu_l")
    number = await seed_case(h, student, "我要反映宿舍空调的问题，已经坏了很久。", anonymous=True)
    await student.send("补充：是北区 5 号楼。", reply_to=h.last(student))
    await h.settle()

    shown = await ask(h, f"/case {number}")
    assert "匿名" in shown and "北区 5 号楼" in shown
    assert not IDENTITY.search(shown), shown
    found = await ask(h, "/find 空调")
    assert number in found and not IDENTITY.search(found), found


@dataclass
class Chats:
    h: Harness
    small: SimGroup
    li: SimUser  # an officer of the sensitive chat
    sensitive: str
    ordinary: str


@pytest.fixture
async def chats(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Chats]:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        li = h.emu.add_user(5002, "李老师", username="officer_li")
        small.add_member(li)
        await say(h, "/officer 5002", who=h.admin)
        alice = await seed_student(h, 1001, "Alice")
        sensitive = await seed_case(
            h, alice, "室友长期在宿舍言语侮辱我，我很焦虑。", category="harassment"
        )
        ordinary = await seed_case(h, alice, DORM_AC, category="dormitory")
        yield Chats(h, small, li, sensitive, ordinary)


async def test_a_sensitive_case_is_shown_only_in_its_chat(chats: Chats) -> None:
    h, small, li = chats.h, chats.small, chats.li
    before = len(await case_rows(h))

    refused = await ask(h, f"/case {chats.sensitive}")
    assert refused == ELSEWHERE  # nothing of the case: not its text, category or state
    assert await ask(h, f"/case {chats.ordinary}") != ELSEWHERE
    # Searching from the general chat does not find it either, even by its own words.
    assert chats.sensitive not in await ask(h, "/find 侮辱")
    found = await ask(h, "/find 宿舍")
    assert chats.ordinary in found and chats.sensitive not in found and "侮辱" not in found

    # In the sensitive chat it opens, and the ordinary case is the one refused.
    shown = await ask(h, f"/case {chats.sensitive}", who=li, chat=small)
    assert "言语侮辱" in shown and "骚扰与歧视" in shown
    assert await ask(h, f"/case {chats.ordinary}", who=li, chat=small) == ELSEWHERE
    found = await ask(h, "/find 宿舍", who=li, chat=small)
    assert chats.sensitive in found and chats.ordinary not in found

    # An officer asking in private is sent to the chats; nothing of a case leaves them.
    assert h.officer is not None
    await h.officer.send(f"/case {chats.sensitive}")
    await h.settle()
    assert "工作群" in (h.last(h.officer).text or "")
    assert "侮辱" not in " ".join(received(h, h.officer))

    assert len(await case_rows(h)) == before  # looking changes nothing
    assert (await case_of(h, chats.sensitive)).state == State.SUBMITTED


async def test_find_in_chinese_with_pages_and_filters(harness: Harness) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    bob = await seed_student(h, 1002, "Bob", college="nursing")
    canteen = [await seed_case(h, alice, CANTEEN.format(n)) for n in range(1, 12)]
    canteen.append(await seed_case(h, bob, CANTEEN.format(12)))
    dorm = await seed_case(h, bob, DORM_AC, category="dormitory")
    await act(h, canteen[0], ACCEPT)

    # A word of two characters, and one of four: both found, and only where they are.
    page = await ask(h, "/find 食堂")
    assert "共找到 12 件" in page and "第 1/2 页" in page
    assert page.count("\n1. ") == 1 and "\n10. " in page and "\n11. " not in page
    assert canteen[-1] in page and dorm not in page  # newest first
    assert "食堂二楼第12号窗口" in page  # the excerpt
    results = h.last(h.group)
    assert [text for text, _ in results.buttons()] == ["1/2", "▶"]

    assert h.officer is not None
    await h.officer.press(results, "▶")
    await h.settle()
    second = h.last(h.group)
    assert second.message_id == results.message_id and second.edited  # turned in place
    text = second.text or ""
    assert "第 2/2 页" in text and "\n11. " in text and "\n12. " in text
    assert canteen[0] in text and canteen[1] in text and canteen[-1] not in text
    assert [t for t, _ in second.buttons()] == ["◀", "2/2"]

    only_dorm = await ask(h, "/find 宿舍空调")
    assert dorm in only_dorm and "共找到 1 件" in only_dorm
    assert dorm in await ask(h, "/find 空调")  # two characters: shorter than a trigram
    assert "未找到相关案件" in await ask(h, "/find 空调 食堂")  # every word must be there

    # Filters: by state (its name or code), category, college, in either language.
    accepted = await ask(h, "/find 食堂 状态:已受理")
    assert "共找到 1 件" in accepted and canteen[0] in accepted
    assert "共找到 1 件" in await ask(h, "/find 食堂 state:accepted")
    nursing = await ask(h, "/find 学院:护理学院")
    assert "共找到 2 件" in nursing and dorm in nursing and canteen[-1] in nursing
    in_dorms = await ask(h, "/find 空调 category:dormitory college:nursing")
    assert "共找到 1 件" in in_dorms
    assert "未找到相关案件" in await ask(h, "/find 食堂 类别:宿舍住宿")


async def test_a_search_with_nothing_to_look_for_is_answered_and_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    await seed_case(h, alice)
    before = len(await case_rows(h))

    assert "只输入了标点符号" in await ask(h, "/find ！？。，……")
    assert "只输入了标点符号" in await ask(h, "/find ?!")
    assert "请写出要查找的词" in await ask(h, "/find")
    assert "无法识别的筛选条件：priority:high" in await ask(h, "/find 食堂 priority:high")
    assert "无法识别的筛选条件：火星" in await ask(h, "/find 食堂 学院:火星")

    assert len(await case_rows(h)) == before
    assert h.last(h.group).buttons() == []


async def test_proposals_are_found_by_title_and_text_once_they_reach_the_officers(
    harness: Harness,
) -> None:
    h = harness
    session_id = await seed_congress(h)
    alice, carol, dave = await seed_representatives(h, session_id, 1001, 1003, 1004)
    sent = await seed_proposal(h, alice, cosigners=(carol, dave))
    cosigning = await seed_proposal(h, carol, title="关于增设自习室夜间照明的提案")

    found = await ask(h, "/find 图书馆考试周")  # in its title
    assert sent in found and "共找到 1 件" in found
    # In its problem, written after the draft was made: the index followed the text.
    assert sent in await ask(h, "/find 无处自习")
    # Still collecting co-signatures: its proposer's business, not the officers' yet.
    assert "未找到相关案件" in await ask(h, "/find 自习室夜间照明")
    assert await ask(h, f"/case {cosigning}") == "没有该编号的反馈。"

"""校院两级: a college union's chat handles its college's cases first, 上报 takes one to the
university's rights department (the college keeps seeing it), 下派 gives one back; sensitive
cases never reach a college; college officers act only on their college's cases there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.casework.deadlines import calendar_of
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.emulator.models import SimMessage
from storage.models import StoredFile
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    REJECT,
    SENSITIVE_CHAT,
    OfficerHarness,
    alert,
    case_of,
    events_of,
    forge,
    officer_harness,
    received,
    reply_to_prompt,
    requests_to,
    say,
    seed_case,
    seed_student,
    seed_user,
    send_preview,
    serialized,
)
from tests.support.proposal_helpers import seed_liaison
from tests.support.student_helpers import Talk

CLINICAL_CHAT, BASIC_CHAT = -1001000000031, -1001000000032
ESCALATE, DELEGATE = "上报", "下派"
REASON = "涉及全校食堂的供货商，需要校级协调后勤保障处。"
ANSWER_TEXT = "已与后勤保障处确认，本周起每餐增加抽检。"
READ_ONLY_UP = "已上报至校级权益部：本群仅可查看。"


@dataclass
class Levels:
    h: OfficerHarness
    clinical: SimGroup
    zhao: SimUser  # an officer of the clinical college's union
    qian: SimUser  # an officer of the nursing college's union, a member of the clinical chat
    alice: SimUser  # a clinical student


async def _world(emulator: BotAPIEmulator, database_url: str, forum: bool) -> AsyncIterator[Levels]:
    clinical = emulator.add_group(chat_id=CLINICAL_CHAT, title="临床医学院学生会", is_forum=forum)
    emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组", is_forum=forum)
    async with officer_harness(
        emulator, database_url, forum=forum, sensitive_chat_id=SENSITIVE_CHAT
    ) as h:
        assert h.app is not None and h.admin is not None
        async with h.app.session_factory.begin() as session:
            zhao = await seed_user(h, session, 5003, "赵干事", username="officer_zhao")
            qian = await seed_user(h, session, 5004, "钱干事", username="officer_qian")
        clinical.add_member(h.admin, status="creator")
        clinical.add_member(zhao)
        clinical.add_member(qian)
        await say(h, "/bind college clinical", who=h.admin, chat=clinical)
        await say(h, "/grant officer @officer_zhao college:clinical", who=h.admin, chat=clinical)
        await say(h, "/grant officer @officer_qian college:nursing", who=h.admin, chat=clinical)
        yield Levels(h, clinical, zhao, qian, await seed_student(h, 1001, "Alice"))


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Levels]:
    async for levels in _world(emulator, database_url, forum=False):
        yield levels


@pytest.fixture
async def forums(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Levels]:
    async for levels in _world(emulator, database_url, forum=True):
        yield levels


def card_in(h: OfficerHarness, chat_id: int, number: str) -> SimMessage:
    """The case's card in that chat (a card's first line names its number)."""
    for message in h.emu.bot_messages(chat_id):
        if number in (message.text or "").split("\n", 1)[0]:
            return message
    raise AssertionError(f"no card for {number} in {chat_id}")


def labels(message: SimMessage) -> list[str]:
    return [text for text, _ in message.buttons()]


async def press_in(h: OfficerHarness, chat_id: int, number: str, button: str, who: SimUser) -> str:
    query = await who.press(card_in(h, chat_id, number), button)
    await h.settle()
    return query


async def escalate(w: Levels, number: str) -> None:
    await press_in(w.h, CLINICAL_CHAT, number, ESCALATE, w.zhao)
    await reply_to_prompt(w.h, REASON, who=w.zhao, chat_id=CLINICAL_CHAT)


def mentions(h: OfficerHarness, chat_id: int, *words: str) -> list[str]:
    return [t for t in received(h, chat_id) if all(word in t for word in words)]


async def test_the_college_union_handles_its_case_end_to_end(world: Levels) -> None:
    h, zhao, alice = world.h, world.zhao, world.alice
    number = await seed_case(h, alice)

    case = await case_of(h, number)
    assert (case.level, case.chat_id) == ("college", CLINICAL_CHAT)
    card = card_in(h, CLINICAL_CHAT, number)
    assert "由学院学生会处理：临床医学院" in (card.text or "")
    assert ESCALATE in labels(card) and DELEGATE not in labels(card)
    assert mentions(h, OFFICERS_CHAT, number) == []  # the university's chat never saw it

    await press_in(h, CLINICAL_CHAT, number, ANSWER, zhao)
    await reply_to_prompt(h, ANSWER_TEXT, who=zhao, chat_id=CLINICAL_CHAT)
    await send_preview(h, CLINICAL_CHAT, who=zhao)
    answered = next(m for m in reversed(h.emu.bot_messages(alice.id)) if "的答复" in m.content)
    assert ANSWER_TEXT in answered.content
    await alice.press(answered, "满意")
    await h.settle()

    case = await case_of(h, number)
    assert (case.state, case.rating, case.level) == ("closed", 3, "college")
    assert mentions(h, CLINICAL_CHAT, number, "满意")


async def test_escalation_moves_the_card_up_and_the_college_keeps_the_timeline(
    world: Levels,
) -> None:
    h, zhao, alice = world.h, world.zhao, world.alice
    assert h.officer is not None
    number = await seed_case(h, alice)
    college_card = card_in(h, CLINICAL_CHAT, number)
    told = len(received(h, alice))

    await escalate(world, number)

    case = await case_of(h, number)
    assert (case.level, case.chat_id, case.watch_chat_id) == (
        "university",
        OFFICERS_CHAT,
        CLINICAL_CHAT,
    )
    assert case.watch_card_message_id == college_card.message_id and case.state == "submitted"
    up = card_in(h, OFFICERS_CHAT, number)
    assert ANSWER in labels(up) and DELEGATE in labels(up) and ESCALATE not in labels(up)
    kept = card_in(h, CLINICAL_CHAT, number)
    assert kept.message_id == college_card.message_id
    assert READ_ONLY_UP in (kept.text or "") and labels(kept) == []
    for chat in (OFFICERS_CHAT, CLINICAL_CHAT):
        assert mentions(h, chat, number, "上报至校级权益部", REASON, "赵干事")
    event = (await events_of(h, number))[-1]
    assert (event.action, event.text, event.public, event.actor_id) == (
        "escalate",
        REASON,
        False,
        zhao.id,
    )

    # The university answers; the college chat sees it, the student hears of one case only.
    await press_in(h, OFFICERS_CHAT, number, ANSWER, h.officer)
    await reply_to_prompt(h, ANSWER_TEXT, chat_id=OFFICERS_CHAT)
    await send_preview(h, OFFICERS_CHAT)
    assert mentions(h, CLINICAL_CHAT, number, ANSWER_TEXT)
    news = received(h, alice)[told:]
    assert len(news) == 1 and number in news[0] and ANSWER_TEXT in news[0]
    assert not any("上报" in t or "学院" in t for t in received(h, alice))
    assert "已答复" in (card_in(h, CLINICAL_CHAT, number).text or "")

    # A forged press in the college chat changes nothing there any more.
    query = await forge(h, zhao, f"cc:reject:{case.id}", on=kept)
    assert "属于另一个群" in (alert(h, query)[0] or "")


async def test_the_university_delegates_to_the_college_union_and_back(world: Levels) -> None:
    h, alice = world.h, world.alice
    assert h.officer is not None and h.admin is not None
    # A nursing case: that college has no union chat, so the university keeps it.
    nora = await seed_student(h, 1002, "Nora", college="nursing")
    nursing = await seed_case(h, nora)
    assert (await case_of(h, nursing)).level == "university"
    query = await press_in(h, OFFICERS_CHAT, nursing, DELEGATE, h.officer)
    assert "该学院学生会尚未绑定工作群" in (alert(h, query)[0] or "")
    assert (await case_of(h, nursing)).level == "university"

    # A basic-sciences case, submitted before that college's union bound its chat.
    bob = await seed_student(h, 1003, "Bob", college="basic")
    number = await seed_case(h, bob)
    basic = h.emu.add_group(chat_id=BASIC_CHAT, title="基础医学院学生会")
    basic.add_member(h.admin, status="creator")
    await say(h, "/bind college basic", who=h.admin, chat=basic)
    assert "基础医学院学生会工作群" in received(h, basic)[-1]
    await press_in(h, OFFICERS_CHAT, number, DELEGATE, h.officer)
    assert labels(card_in(h, OFFICERS_CHAT, number)) == ["基础医学院", "取消"]
    await press_in(h, OFFICERS_CHAT, number, "基础医学院", h.officer)

    case = await case_of(h, number)
    assert (case.level, case.chat_id, case.watch_chat_id) == ("college", BASIC_CHAT, OFFICERS_CHAT)
    down = card_in(h, BASIC_CHAT, number)
    assert "由学院学生会处理：基础医学院" in (down.text or "") and ESCALATE in labels(down)
    above = card_in(h, OFFICERS_CHAT, number)
    assert "已下派至基础医学院学生会：本群仅可查看。" in (above.text or "")
    assert labels(above) == []
    assert mentions(h, BASIC_CHAT, number, "下派至基础医学院学生会", "王老师")
    assert (await events_of(h, number))[-1].action == "delegate"
    assert received(h, bob)[-1].count(number) >= 1 and "下派" not in received(h, bob)[-1]

    # 上报 then 下派 back: the college's own card is the live one again.
    clinical = await seed_case(h, alice)
    first = card_in(h, CLINICAL_CHAT, clinical)
    await escalate(world, clinical)
    await press_in(h, OFFICERS_CHAT, clinical, DELEGATE, h.officer)
    await press_in(h, OFFICERS_CHAT, clinical, "临床医学院", h.officer)
    case = await case_of(h, clinical)
    assert (case.level, case.chat_id, case.card_message_id) == (
        "college",
        CLINICAL_CHAT,
        first.message_id,
    )
    assert ESCALATE in labels(card_in(h, CLINICAL_CHAT, clinical))
    assert labels(card_in(h, OFFICERS_CHAT, clinical)) == []


async def test_a_sensitive_case_never_reaches_the_college_chat(world: Levels) -> None:
    h, alice = world.h, world.alice
    mark = len(h.emu.requests)
    number = await seed_case(
        h, alice, "辅导员多次在晚上单独约我谈话并动手动脚，我很害怕。", category="harassment"
    )

    case = await case_of(h, number)
    assert (case.level, case.chat_id) == ("university", SENSITIVE_CHAT)
    assert not any(number in serialized(r) for r in requests_to(h, CLINICAL_CHAT, mark))
    assert DELEGATE not in labels(card_in(h, SENSITIVE_CHAT, number))

    # Re-filed as harassment, a college's case leaves the college chat for the sensitive one.
    other = await seed_case(h, alice)
    assert (await case_of(h, other)).chat_id == CLINICAL_CHAT
    await press_in(h, CLINICAL_CHAT, other, "重新分类", world.zhao)
    await press_in(h, CLINICAL_CHAT, other, "骚扰与歧视", world.zhao)
    case = await case_of(h, other)
    assert (case.level, case.chat_id, case.watch_chat_id) == ("university", SENSITIVE_CHAT, None)
    left = [m for m in h.emu.world.chats[CLINICAL_CHAT].messages if not m.deleted]
    assert not any(other in (m.text or "") for m in left)


async def test_college_officers_act_only_on_their_college_cases(world: Levels) -> None:
    h, zhao, qian, alice = world.h, world.zhao, world.qian, world.alice
    number = await seed_case(h, alice)
    query = await press_in(h, CLINICAL_CHAT, number, ACCEPT, qian)
    assert "此案件属于其他学院的学生会" in (alert(h, query)[0] or "")
    assert (await case_of(h, number)).state == "submitted"

    # The clinical officer in the university's chat: a university case is not theirs.
    h.group.add_member(zhao)
    nora = await seed_student(h, 1002, "Nora", college="nursing")
    nursing = await seed_case(h, nora)
    query = await press_in(h, OFFICERS_CHAT, nursing, ACCEPT, zhao)
    assert "此案件由校级处理：学院干事无法操作" in (alert(h, query)[0] or "")
    assert (await case_of(h, nursing)).state == "submitted"

    # 指派 offers those who may act on it there: not the nursing officer.
    await press_in(h, CLINICAL_CHAT, number, "指派…", zhao)
    offered = labels(card_in(h, CLINICAL_CHAT, number))
    assert "赵干事" in offered and "钱干事" not in offered
    await press_in(h, CLINICAL_CHAT, number, "取消", zhao)
    await press_in(h, CLINICAL_CHAT, number, ACCEPT, zhao)
    assert (await case_of(h, number)).state == "accepted"


async def test_escalating_a_closed_case_is_refused(world: Levels) -> None:
    h, zhao, alice = world.h, world.zhao, world.alice
    number = await seed_case(h, alice)
    await press_in(h, CLINICAL_CHAT, number, REJECT, zhao)
    await reply_to_prompt(h, "这是重复提交的反馈，请关注原反馈。", who=zhao, chat_id=CLINICAL_CHAT)
    await send_preview(h, CLINICAL_CHAT, who=zhao)
    closed = card_in(h, CLINICAL_CHAT, number)
    assert ESCALATE not in labels(closed)
    case = await case_of(h, number)
    assert case.state == "rejected"

    query = await forge(h, zhao, f"cc:escalate:{case.id}", on=closed)
    assert "此案件已结束，无法上报" in (alert(h, query)[0] or "")
    case = await case_of(h, number)
    assert (case.level, case.chat_id) == ("college", CLINICAL_CHAT)
    assert "escalate" not in [e.action for e in await events_of(h, number)]


async def test_binding_an_unknown_college_and_the_queues_of_each_level(world: Levels) -> None:
    h, alice = world.h, world.alice
    assert h.admin is not None
    await say(h, "/bind college nosuch", who=h.admin, chat=world.clinical)
    answer = received(h, world.clinical)[-1]
    assert "未知的学院：nosuch。未作任何更改。" in answer and "clinical（临床医学院）" not in answer
    assert "clinical (临床医学院)" in answer and "nursing (护理学院)" in answer
    await say(h, "/bind college clinical", who=h.admin)  # the university's own chat
    assert "学院学生会需要单独的群" in received(h, h.group)[-1]

    college_case = await seed_case(h, alice)
    nora = await seed_student(h, 1002, "Nora", college="nursing")
    university_case = await seed_case(h, nora)
    await say(h, "/queue", who=world.zhao, chat=world.clinical)
    listed = received(h, world.clinical)[-1]
    assert college_case in listed and university_case not in listed
    await say(h, "/find 食堂", who=world.zhao, chat=world.clinical)
    found = received(h, world.clinical)[-1]
    assert college_case in found and university_case not in found
    await say(h, "/queue level:college")
    listed = received(h, h.group)[-1]
    assert college_case in listed and university_case not in listed and "院级" in listed
    await say(h, "/queue level:university")
    listed = received(h, h.group)[-1]
    assert university_case in listed and college_case not in listed
    await say(h, "/find 食堂 级别:院级")
    found = received(h, h.group)[-1]
    assert college_case in found and university_case not in found
    await say(h, "/find 食堂 level:university")
    found = received(h, h.group)[-1]
    assert university_case in found and college_case not in found
    await say(h, "/find 食堂 level:nosuch")
    assert "nosuch" in received(h, h.group)[-1]


async def test_the_digest_shows_levels_colleges_and_escalations(world: Levels) -> None:
    h, zhao, alice = world.h, world.zhao, world.alice
    assert h.admin is not None
    handled = await seed_case(h, alice)
    await press_in(h, CLINICAL_CHAT, handled, ANSWER, zhao)
    await reply_to_prompt(h, ANSWER_TEXT, who=zhao, chat_id=CLINICAL_CHAT)
    await send_preview(h, CLINICAL_CHAT, who=zhao)
    escalated = await seed_case(h, alice, "图书馆自习室的空调坏了两周，一直没有人来修理。")
    await escalate(world, escalated)

    await h.admin.send("/digest")
    await h.settle()
    summary = next(t for t in reversed(received(h, h.admin)) if "按层级" in t)
    # The escalated case is the university's now; the college union answered the other.
    assert "按层级: 学院学生会 1 · 校级 1 · 上报 1 · 下派 0" in summary
    assert "临床医学院: 首次响应 0.0 小时 · 答复 0.0 小时" in summary
    assert h.app is not None
    async with h.app.session_factory() as session:
        files = await session.scalars(select(StoredFile).order_by(col(StoredFile.id)))
        report = [f for f in files if f.filename.endswith(".html")][-1].data.decode()
    assert "校院两级：校级与学院学生会" in report and "上报至校级：1" in report
    assert "首次响应（中位数）" in report and "临床医学院" in report


async def test_reminders_go_to_the_chat_holding_the_case(world: Levels) -> None:
    h, alice = world.h, world.alice
    assert h.app is not None and h.app.jobs is not None
    at_college = await seed_case(h, alice)
    escalated = await seed_case(h, alice, "图书馆自习室的空调坏了两周，一直没有人来修理。")
    await escalate(world, escalated)
    nora = await seed_student(h, 1002, "Nora", college="nursing")
    at_university = await seed_case(h, nora)

    # Two weeks on, a working day, late morning: all three are past their first response.
    tz = h.app.services.renderer.tz
    day = (await case_of(h, at_college)).created_at.astimezone(tz).date() + timedelta(days=14)
    while not calendar_of(h.app.services).is_working_day(day):
        day += timedelta(days=1)
    marks = {chat: len(h.emu.bot_messages(chat)) for chat in (CLINICAL_CHAT, OFFICERS_CHAT)}
    assert await h.app.jobs.reminders(datetime.combine(day, time(11, 0), tz)) == 2
    await h.settle()
    (college,) = [m.text or "" for m in h.emu.bot_messages(CLINICAL_CHAT)[marks[CLINICAL_CHAT] :]]
    (above,) = [m.text or "" for m in h.emu.bot_messages(OFFICERS_CHAT)[marks[OFFICERS_CHAT] :]]
    assert "督办提醒" in college and at_college in college
    assert escalated not in college and at_university not in college
    assert escalated in above and at_university in above and at_college not in above


async def test_in_forums_each_level_has_its_topic_and_both_follow_the_case(forums: Levels) -> None:
    h, alice = forums.h, forums.alice
    assert h.officer is not None
    number = await seed_case(h, alice)
    college_topic = (await case_of(h, number)).topic_id
    assert college_topic in forums.clinical.topics

    await escalate(forums, number)
    case = await case_of(h, number)
    assert case.topic_id in h.group.topics and case.watch_topic_id == college_topic
    assert card_in(h, OFFICERS_CHAT, number).thread_id == case.topic_id
    await press_in(h, OFFICERS_CHAT, number, ANSWER, h.officer)
    await reply_to_prompt(h, ANSWER_TEXT, chat_id=OFFICERS_CHAT)
    await send_preview(h, OFFICERS_CHAT)
    notes = [
        m
        for m in h.emu.bot_messages(CLINICAL_CHAT)
        if ANSWER_TEXT in (m.text or "") and m.thread_id == college_topic
    ]
    assert notes  # the answer reached the college's topic of the case


async def test_an_escalated_case_is_reviewed_where_it_is_held_only(world: Levels) -> None:
    """The college keeps seeing a department's answer awaiting review, without the buttons:
    only the university, which holds the case, may publish it."""
    h = world.h
    assert h.officer is not None
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    number = await seed_case(h, world.alice)
    await escalate(world, number)
    await press_in(h, OFFICERS_CHAT, number, ACCEPT, h.officer)
    await press_in(h, OFFICERS_CHAT, number, "转办", h.officer)
    await press_in(h, OFFICERS_CHAT, number, "后勤保障处", h.officer)
    await zhou.press("📝 撰写答复", zhou.message_with("撰写"))
    await zhou.send(ANSWER_TEXT + "维修人员周五前到位。")
    await zhou.press("📤 提交审核")

    def review_notes(chat_id: int) -> list[SimMessage]:
        return [m for m in h.emu.bot_messages(chat_id) if (m.text or "").startswith("📝")]

    [up] = review_notes(OFFICERS_CHAT)
    [kept] = review_notes(CLINICAL_CHAT)
    assert labels(up) == ["✅ 发布答复", "↩️ 退回修改"] and labels(kept) == []
    assert ANSWER_TEXT in (kept.text or "")

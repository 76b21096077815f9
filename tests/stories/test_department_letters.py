"""A department with no liaison on Telegram: 转办 posts its 转办单 (PDF and HTML) into the
case's thread; an officer records the department's answer with /record, which reaches the
student marked as the department's; anyone else, elsewhere, or too late is refused."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from bot.cases.actions import apply_action
from bot.cases.recorded import record_answer
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.devkit.emulator.models import SimMessage
from bot.domain.workflow import Action, Actor, Role, State, TransitionError
from storage.models import OutboxMessage
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    ACCEPT,
    SENSITIVE_CHAT,
    OfficerHarness,
    case_of,
    events_of,
    forward,
    officer_harness,
    outbox,
    press,
    received,
    say,
    seed_case,
    seed_student,
)
from tests.support.proposal_helpers import seed_liaison

TEXT = "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。"
ANSWER = "后勤保障处答复：已约谈供应商并更换食材，每日抽检。"
MARK = "由学生会权益部代为记录"
NOT_FORWARDED = "尚未转办"
FINISHED = "已答复或已结束"
WRONG_CHAT = "属于另一个群"
NO_CASE = "没有该编号的反馈"


@dataclass
class Story:
    h: OfficerHarness
    alice: SimUser  # wrote the case anonymously
    number: str


@pytest.fixture
async def story(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Story]:
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        alice = await seed_student(h, 1001, "Alice", username="alice_secret")
        number = await seed_case(h, alice, TEXT, anonymous=True)
        await press(h, number, ACCEPT)
        yield Story(h, alice, number)


def documents(h: OfficerHarness, chat_id: int = OFFICERS_CHAT) -> list[SimMessage]:
    return [m for m in h.emu.bot_messages(chat_id) if m.kind == "document"]


def file_of(h: OfficerHarness, message: SimMessage) -> tuple[str | None, bytes]:
    record = h.emu.world.files[message.file_ids[0]]
    return record.file_name, record.data


def pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in pages)


async def record(h: OfficerHarness, text: str, who: SimUser | None = None, **where: object) -> str:
    """An officer's /record; what the bot replied to it."""
    message = await say(h, text, who=who, **where)
    replies = [m for m in h.emu.bot_messages(message.chat_id) if m.reply_to_message_id]
    mine = [m for m in replies if m.reply_to_message_id == message.message_id]
    return mine[-1].content if mine else ""


async def test_forwarding_to_a_department_without_a_liaison_posts_its_letter(story: Story) -> None:
    h, number = story.h, story.number
    await forward(h, number)  # 后勤保障处: nobody answers for it on Telegram
    case = await case_of(h, number)
    assert case.state == State.IN_PROGRESS and case.department_due_at is not None
    assert h.app is not None
    due = h.app.services.renderer.format_time(case.department_due_at, "%Y-%m-%d")

    sent = documents(h)
    names = sorted(file_of(h, m)[0] or "" for m in sent)
    assert names == [f"{number}-logistics.html", f"{number}-logistics.pdf"]
    pdf = next(
        m for m in sent if (m.payload.get("document") or {}).get("file_name", "").endswith("pdf")
    )
    assert number in (pdf.caption or "") and f"/record {number}" in (pdf.caption or "")

    for message in sent:
        name, data = file_of(h, message)
        text = pdf_text(data) if (name or "").endswith(".pdf") else data.decode("utf-8")
        for wanted in (number, TEXT, due, "医学院学生会", "后勤保障处", "匿名", "回执"):
            assert wanted in text, (name, wanted)
        for identity in ("Alice", "alice_secret", "1001"):
            assert identity not in text, (name, identity)


async def test_a_department_with_a_liaison_gets_no_letter(story: Story) -> None:
    h, number = story.h, story.number
    await seed_liaison(h, 7001, "图书馆联络人", "library")
    await forward(h, number, "图书馆")
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    assert documents(h) == []


async def test_the_officer_records_the_answer_with_a_file(story: Story) -> None:
    h, number, alice = story.h, story.number, story.alice
    assert h.officer is not None
    await forward(h, number)
    heard = len(h.emu.requests)

    message = await h.officer.send_document(
        "回复函.pdf", caption=f"/record {number} {ANSWER}", chat=h.group, data=b"%PDF-1.4 reply"
    )
    await h.settle()
    replies = [m.content for m in h.emu.bot_messages(OFFICERS_CHAT)]
    assert any("已记录为" in text and number in text for text in replies)
    assert message.file_ids

    case = await case_of(h, number)
    assert case.state == State.ANSWERED
    events = await events_of(h, number)
    assert [e.action for e in events[-2:]] == ["answer_recorded", "answer"]
    assert events[-2].text == "logistics" and events[-2].actor_role == Role.OFFICER
    assert events[-1].text == ANSWER

    # The student hears the answer as the department's, then gets its file.
    got = [m for m in h.emu.bot_messages(alice.id) if m.created_mark >= heard]
    answer = next(m for m in got if ANSWER in m.content)
    assert MARK in answer.content and "后勤保障处" in answer.content
    file = next(m for m in got if m.kind == "document")
    assert file_of(h, file)[1] == b"%PDF-1.4 reply"
    assert got.index(file) > got.index(answer)
    # Anonymous: every row to her went sealed, none under her chat id.
    rows = await outbox(h, case_id=case.id)
    assert not [row for row in rows if row.chat_id == alice.id]
    assert any(row.kind == "sealed" and row.method == "sendDocument" for row in rows)

    # The timeline says who answered and who recorded it.
    await say(h, f"/case {number}")
    view = received(h, h.group)[-1]
    assert "部门答复（由权益部工作人员代为记录）" in view and "后勤保障处" in view
    assert "thread" in {row.kind for row in rows}  # the thread's note of the answer


async def test_recording_is_refused_where_it_does_not_belong(story: Story) -> None:
    h, number, alice = story.h, story.number, story.alice
    assert h.app is not None and h.admin is not None

    # Not forwarded yet: nothing to record.
    assert NOT_FORWARDED in await record(h, f"/record {number} {ANSWER}")
    await forward(h, number)
    case_id = (await case_of(h, number)).id
    before = len(await outbox(h, case_id=case_id))

    # A member of the officers' chat without the role: not heard at all.
    bystander = h.emu.add_user(5003, "路人甲", username="bystander")
    h.group.add_member(bystander)
    await say(h, f"/record {number} {ANSWER}", who=bystander)

    # An officer of the sensitive cases' chat only, from there: the case is not that chat's.
    small = h.emu.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    li = h.emu.add_user(5002, "李老师", username="officer_li")
    small.add_member(li)
    await say(h, "/officer 5002", who=h.admin)
    assert WRONG_CHAT in await record(h, f"/record {number} {ANSWER}", who=li, chat=small)

    # The service refuses the same, whoever calls it.
    async with h.app.session_factory() as session:
        with pytest.raises(TransitionError) as refused:
            await record_answer(
                session=session,
                services=h.app.services,
                actor=Actor(5003, Role.OFFICER, OFFICERS_CHAT),
                number=number,
                text=ANSWER,
            )
        assert refused.value.reason == "forbidden"
        await session.rollback()

    case = await case_of(h, number)
    assert case.state == State.IN_PROGRESS
    assert [e.action for e in await events_of(h, number)][-1] == Action.FORWARD
    assert len(await outbox(h, case_id=case_id)) == before
    assert not any(ANSWER in text for text in received(h, alice))


async def test_recording_on_a_closed_case_is_refused(story: Story) -> None:
    h, number, alice = story.h, story.number, story.alice
    assert h.app is not None
    await forward(h, number)
    assert "已记录为" in await record(h, f"/record {number} {ANSWER}")
    case = await case_of(h, number)
    async with h.app.session_factory.begin() as session:
        await apply_action(
            session=session,
            services=h.app.services,
            case_id=case.id or 0,
            action=Action.RATE_SATISFIED,
            actor=Actor(alice.id, Role.STUDENT),
        )
    h.app.worker.wake()
    await h.settle()
    assert (await case_of(h, number)).state == State.CLOSED
    events = len(await events_of(h, number))
    heard = len(received(h, alice))

    assert FINISHED in await record(h, f"/record {number} 再补充一句。")
    assert (await case_of(h, number)).state == State.CLOSED
    assert len(await events_of(h, number)) == events
    assert len(received(h, alice)) == heard


async def test_a_recorded_answer_needs_a_number_and_words(story: Story) -> None:
    h, number = story.h, story.number
    await forward(h, number)
    assert "/record G2026-0042" in await record(h, f"/record {number}")
    assert NO_CASE in await record(h, "/record G2099-9999 答复")
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    rows: list[OutboxMessage] = await outbox(h, method="sendDocument")
    assert len(rows) == 2  # the letter's two files, nothing else

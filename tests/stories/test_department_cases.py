"""Ordinary cases handled by departments: 转办 reaches the department's liaison in private, who
answers (reviewed by the officers, or not where the organisation says so), asks, or declines
(不属于本部门); a second 转办 adds an assisting department (协办); deadlines remind the liaison;
a liaison of another department is refused; an anonymous author is never named to a liaison."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.callbacks import LiaisonCB
from bot.core.config import Category, Department
from bot.devkit.emulator import SimUser
from bot.devkit.emulator.models import SimMessage
from bot.domain.workflow import Part, State
from tests.support.deadline_helpers import plain_monday
from tests.support.officer_helpers import (
    OfficerHarness,
    alert,
    card,
    case_of,
    forward,
    freeze_clock,
    press,
    received,
    reply_to_prompt,
    seed_case,
    seed_student,
    send_preview,
    sends_to,
    serialized,
)
from tests.support.proposal_helpers import parts_of, seed_liaison
from tests.support.student_helpers import Talk

ANSWER = "后勤保障处已安排维修人员，本周五前修复三号楼热水器。"
DRAFT = "后勤保障处已收到，正在研究处理。"
RATING = ["满意", "基本满意", "不满意"]


async def _forwarded(
    h: OfficerHarness, *, anonymous: bool = False, department: str = "后勤保障处"
) -> tuple[SimUser, str]:
    """Alice's grievance, accepted and forwarded: (Alice, its number)."""
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice, anonymous=anonymous)
    await press(h, number, "受理")
    await forward(h, number, department)
    return alice, number


def _note_with(h: OfficerHarness, text: str) -> SimMessage:
    """The latest message in the officers' chat carrying `text` and buttons."""
    return next(
        m
        for m in reversed(h.emu.bot_messages(h.group.id))
        if text in (m.text or "") and m.buttons()
    )


async def _draft(liaison: Talk, text: str) -> None:
    await liaison.press("📝 撰写答复", liaison.message_with("撰写"))
    await liaison.send(text)
    await liaison.press("📤 提交审核")


async def test_answer_reviewed_before_the_student_reads_it(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.officer is not None
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    alice, number = await _forwarded(h, anonymous=True)
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    assigned = zhou.message_with(number)
    assert "后勤保障处" in assigned.content and "主办" in assigned.content
    assert "后勤餐饮" in assigned.content and "审核" in assigned.content
    assert "临床医学院" in assigned.content and "前撰写本部门答复" in assigned.content
    buttons = [t for t, _ in assigned.buttons()]
    assert buttons == ["📝 撰写答复", "❓ 向权益部提问", "↪️ 不属于本部门"]

    # A first answer goes to the officers, not the student; they send it back with a comment.
    alice_before = len(received(h, alice))
    await _draft(zhou, DRAFT)
    assert any(DRAFT in t for t in received(h, h.group))
    assert not any(DRAFT in t for t in received(h, alice))
    await h.officer.press(_note_with(h, DRAFT), "↩️ 退回修改")
    await h.settle()
    await reply_to_prompt(h, "请写明维修完成的具体日期。", chat_id=card(h, number).chat_id)
    await send_preview(h, card(h, number).chat_id)
    assert "具体日期" in zhou.last.content and "退回" in zhou.last.content
    assert [p.status for p in await parts_of(h, number)] == [Part.RETURNED]

    # The second answer, approved: only now does the student read it, and rate it.
    await _draft(zhou, ANSWER)
    assert not any(ANSWER in t for t in received(h, alice))
    await h.officer.press(_note_with(h, ANSWER), "✅ 发布答复")
    await h.settle()
    assert len(received(h, alice)) > alice_before
    assert ANSWER in received(h, alice)[-1] and "后勤保障处" in received(h, alice)[-1]
    assert [t for t, _ in h.last(alice).buttons()] == RATING
    assert (await case_of(h, number)).state == State.ANSWERED
    assert "已送达" in zhou.last.content

    # 不满意: the department answers once more (复核), told the student's comment.
    talk = Talk(h, alice)
    await talk.press("不满意")
    await talk.send("热水器修好后第二天又坏了。")
    assert (await case_of(h, number)).state == State.REOPENED
    assert "又坏了" in zhou.last.content and "复核" in zhou.last.content
    assert "复核" in zhou.message_with("不满意").content
    assert [p.status for p in await parts_of(h, number)] == [Part.ASSIGNED]

    # Nothing the liaison was sent names the anonymous author.
    for request in sends_to(h, zhou.user.id):
        text = serialized(request)
        assert "Alice" not in text and str(alice.id) not in text, text


async def _forwarded_without_review(
    h: OfficerHarness, configured: Department | Category | None
) -> tuple[Talk, SimUser, str]:
    """With `configured` (the logistics department or category) set to skip the review: its
    liaison, and a student's case forwarded to logistics."""
    assert configured is not None
    configured.review = False
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    alice, number = await _forwarded(h)
    return zhou, alice, number


async def test_a_department_configured_without_review(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    department = h.app.services.org.department("logistics")
    zhou, alice, number = await _forwarded_without_review(h, department)
    assert "直接送达" in zhou.message_with(number).content

    await _draft(zhou, ANSWER)
    assert ANSWER in received(h, alice)[-1]
    assert [t for t, _ in h.last(alice).buttons()] == RATING
    assert (await case_of(h, number)).state == State.ANSWERED
    note = next(t for t in reversed(received(h, h.group)) if ANSWER in t)
    assert "免审核" in note


async def test_a_category_configured_without_review(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    category = h.app.services.org.category("logistics")
    zhou, alice, number = await _forwarded_without_review(h, category)
    await _draft(zhou, ANSWER)
    assert ANSWER in received(h, alice)[-1]
    assert (await case_of(h, number)).state == State.ANSWERED


async def test_declined_then_forwarded_elsewhere(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    li = Talk(h, await seed_liaison(h, 8001, "李老师", "library"))
    _alice, number = await _forwarded(h)

    await zhou.press("↪️ 不属于本部门", zhou.message_with(number))
    await zhou.send("热水器属于图书馆自管设备，不归后勤保障处。")
    case = await case_of(h, number)
    assert case.state == State.ACCEPTED and case.department_code is None
    note = received(h, h.group)[-1]
    assert "不属于本部门" in note and "图书馆自管" in note and "另行转办" in note
    assert "退回权益部" in zhou.last.content
    assert [p.status for p in await parts_of(h, number)] == [Part.DECLINED]
    assert "后勤保障处 — 不属于本部门" in (card(h, number).text or "")

    # The old message's buttons no longer work for the department.
    refused = await zhou.press("📝 撰写答复", zhou.message_with("撰写"))
    assert refused.alert and "不再承办" in (refused.toast or "")

    await forward(h, number, "图书馆")
    case = await case_of(h, number)
    assert case.state == State.IN_PROGRESS and case.department_code == "library"
    assert number in li.message_with(number).content and "主办" in li.message_with(number).content


async def test_a_liaisons_question_is_relayed_both_ways(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.officer is not None
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    alice, number = await _forwarded(h)
    await zhou.press("❓ 向权益部提问", zhou.message_with(number))
    await zhou.send("请问同学说的是哪一栋宿舍楼？")
    assert "哪一栋" in received(h, h.group)[-1] and "周老师" in received(h, h.group)[-1]
    assert not any("哪一栋" in t for t in received(h, alice))
    await h.officer.press(_note_with(h, "哪一栋"), "💬 回复联络人")
    await h.settle()
    await reply_to_prompt(h, "三号楼，二层东侧。", chat_id=card(h, number).chat_id)
    await send_preview(h, card(h, number).chat_id)
    assert "三号楼" in zhou.last.content and number in zhou.last.content


async def test_a_second_forward_adds_an_assisting_department(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.officer is not None
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    li = Talk(h, await seed_liaison(h, 8001, "李老师", "library"))
    alice, number = await _forwarded(h)
    await forward(h, number, "图书馆")
    assert "主办" in zhou.message_with(number).content
    assert "协办" in li.message_with(number).content
    case = await case_of(h, number)
    assert case.department_code == "logistics" and case.state == State.IN_PROGRESS
    assert {p.department_code for p in await parts_of(h, number)} == {"logistics", "library"}
    text = card(h, number).text or ""
    assert "后勤保障处 (主办) — 待答复" in text and "图书馆 (协办) — 待答复" in text, text

    # 转办 again to a department that holds it: refused, nothing changes.
    await press(h, number, "转办")
    query = await h.officer.press(card(h, number), "后勤保障处")
    await h.settle()
    assert "已在承办" in (alert(h, query)[0] or "")
    assert len(await parts_of(h, number)) == 2

    # One answer is not the whole answer; the second completes it.
    await _draft(li, "图书馆将配合后勤保障处开放二层热水间。")
    await h.officer.press(_note_with(h, "二层热水间"), "✅ 发布答复")
    await h.settle()
    assert "二层热水间" in received(h, alice)[-1] and h.last(alice).buttons() == []
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    await _draft(zhou, ANSWER)
    await h.officer.press(_note_with(h, ANSWER), "✅ 发布答复")
    await h.settle()
    assert [t for t, _ in h.last(alice).buttons()] == RATING
    assert (await case_of(h, number)).state == State.ANSWERED


async def test_a_liaison_of_another_department_is_refused(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    await seed_liaison(h, 8002, "周老师", "logistics")
    li = Talk(h, await seed_liaison(h, 8001, "李老师", "library"))
    _alice, number = await _forwarded(h)
    [part] = await parts_of(h, number)
    await li.send("/start")  # a message of the bot's to press on
    for action in ("answer", "ask", "decline"):
        refused = await li.forge(LiaisonCB(action=action, part_id=part.id or 0).pack())
        assert refused.alert and "联络人" in (refused.toast or ""), action
    [after] = await parts_of(h, number)
    assert after.status == Part.ASSIGNED and (await case_of(h, number)).state == State.IN_PROGRESS


async def test_department_deadline_reminds_the_liaison(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    category = h.app.services.org.category("logistics")
    assert category is not None
    category.department_days = 5
    monday = plain_monday(h)
    clock = freeze_clock(h, at=monday)
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    _alice, number = await _forwarded(h)
    [part] = await parts_of(h, number)
    assert part.due_at == monday + timedelta(days=7)

    # The Tuesday after: the department is late; its liaison is reminded, the card marks it.
    tuesday = datetime.combine((monday + timedelta(days=8)).date(), time(9, 30), monday.tzinfo)
    clock[0] = tuesday
    assert await h.app.jobs.reminders(tuesday)  # type: ignore[union-attr]
    await h.settle()
    reminder = zhou.last.content
    assert "督办提醒 · 后勤保障处" in reminder and number in reminder and "超时" in reminder

    # Answered (in review): the department owes nothing more, and is not reminded again.
    await _draft(zhou, ANSWER)
    line = next(t for t in (card(h, number).text or "").splitlines() if "部门答复期限" in t)
    assert "已超时" in line, line
    before = len(received(h, zhou.user))
    clock[0] = tuesday + timedelta(days=1)
    await h.app.jobs.reminders(clock[0])  # type: ignore[union-attr]
    await h.settle()
    assert not any("督办提醒" in t for t in received(h, zhou.user)[before:])


async def test_no_liaison_tells_the_officers(harness: OfficerHarness) -> None:
    h = harness
    _alice, number = await _forwarded(h)
    case = await case_of(h, number)
    assert case.state == State.IN_PROGRESS and case.department_code == "logistics"
    assert "转办单" in received(h, h.group)[-2]
    assert await parts_of(h, number) == []

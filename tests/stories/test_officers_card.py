"""The case card in the officers' chat: what it shows and what its buttons do."""

from __future__ import annotations

from bot.domain.workflow import State
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    FORWARD,
    MERGE,
    RECATEGORISE,
    REJECT,
    SIGNATURE,
    act,
    alert,
    alice_with_case,
    card,
    case_of,
    case_rows,
    events_of,
    forward,
    press,
    received,
    reply_to_card,
    say,
    seed_case,
    seed_student,
)


async def test_card_shows_everything_officers_need(harness: Harness) -> None:
    h = harness
    alice = await h.student(1001, "Alice", username="alice_w", college="护理学院")
    number = await h.submit(alice, photos=2)

    message = card(h, number)
    first, *rest = message.text.split("\n")  # type: ignore[union-attr]
    assert number in first and "权益诉求" in first and "后勤餐饮" in first
    body = "\n".join(rest)
    assert "待受理" in body
    assert "护理学院" in body
    assert "Alice" in body and "@alice_w" in body
    assert "2 个附件" in body
    assert "食堂二楼的饭菜" in body
    assert "0 小时前" in body  # age
    assert "办理时限" in body  # first-response due time
    assert [text for text, _ in message.buttons()] == [
        *(ACCEPT, ASK_INFO, REJECT, MERGE, ANSWER),
        RECATEGORISE,
        *("认领", "指派…"),  # who answers for it: not a state, beside the table's buttons
    ]

    # The photos follow as an album replying to the card, so they read as its thread.
    album = [m for m in h.emu.bot_messages(h.group.id) if m.kind == "photo"]
    assert len(album) == 2
    assert all(m.reply_to_message_id == message.message_id for m in album)

    # A file the student adds later joins the thread, and the card counts it.
    await alice.send_document("menu.pdf", "菜单照片", reply_to=h.last(alice))
    await h.settle()
    assert "3 个附件" in (card(h, number).text or "")
    added = [m for m in h.emu.bot_messages(h.group.id) if m.kind == "document"]
    assert len(added) == 1 and added[0].reply_to_message_id == message.message_id


async def test_anonymous_card_says_anonymous_and_names_nobody(harness: Harness) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice", username="alice_w")
    number = await seed_case(h, alice, anonymous=True)
    text = card(h, number).text or ""
    assert "匿名" in text
    assert "Alice" not in text and "alice_w" not in text and "1001" not in text


async def test_accept_edits_the_card_in_place_and_tells_the_student(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    before = card(h, number)

    query = await press(h, number, ACCEPT)

    after = card(h, number)
    assert after.message_id == before.message_id and after.edited
    assert "已受理" in (after.text or "")
    assert "最近操作：王老师" in (after.text or "")
    assert FORWARD in [text for text, _ in after.buttons()]
    assert ACCEPT not in [text for text, _ in after.buttons()]
    assert alert(h, query)[1] is False
    assert number in received(h, alice)[-1] and "受理" in received(h, alice)[-1]
    case = await case_of(h, number)
    assert case.state == State.ACCEPTED and case.first_response_at is not None
    assert case.last_actor_id == h.officer.id  # type: ignore[union-attr]


async def test_request_info_then_the_students_answer_returns_the_case(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, ACCEPT)

    await act(h, number, ASK_INFO, "请问是哪一天、哪个窗口？")
    case = await case_of(h, number)
    assert case.state == State.NEEDS_INFO
    request = h.last(alice)
    assert "请问是哪一天、哪个窗口？" in (request.text or "")
    assert "待补充" in (card(h, number).text or "")

    # The student answers by replying to the request.
    await alice.send("周三中午，3号窗口。", reply_to=request)
    await h.settle()

    case = await case_of(h, number)
    assert case.state == State.ACCEPTED  # the state it was in before the request
    assert case.resume_state is None
    assert "已受理" in (card(h, number).text or "")
    note = [t for t in received(h, h.group) if "周三中午，3号窗口。" in t]
    assert note, "the officers see the information in the case's thread"
    actions = [(e.action, e.from_state, e.to_state) for e in await events_of(h, number)]
    assert ("request_info", "accepted", "needs_info") in actions
    assert ("provide_info", "needs_info", "accepted") in actions


async def test_forward_picks_a_department(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, ACCEPT)
    buttons = card(h, number).buttons()

    await press(h, number, FORWARD)
    choices = [text for text, _ in card(h, number).buttons()]
    assert "后勤保障处" in choices and "教务处" in choices
    await press(h, number, "取消")  # changing one's mind gives the card back as it was
    assert card(h, number).buttons() == buttons
    assert (await case_of(h, number)).state == State.ACCEPTED

    await press(h, number, FORWARD)
    assert h.officer is not None
    await h.officer.press(card(h, number), "后勤保障处")
    await h.settle()

    case = await case_of(h, number)
    assert case.state == State.IN_PROGRESS and case.department_code == "logistics"
    text = card(h, number).text or ""
    assert "办理中" in text and "后勤保障处" in text
    assert ANSWER in [t for t, _ in card(h, number).buttons()]
    assert "后勤保障处" in received(h, alice)[-1]


async def test_reject_sends_the_reason(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await act(h, number, REJECT, "该问题已由后勤处公开答复，请查看公告。")

    case = await case_of(h, number)
    assert case.state == State.REJECTED and case.closed_at is not None
    assert "该问题已由后勤处公开答复" in received(h, alice)[-1]
    assert "不予受理" in (card(h, number).text or "")
    assert card(h, number).buttons() == []
    event = (await events_of(h, number))[-1]
    assert event.action == "reject" and event.text == "该问题已由后勤处公开答复，请查看公告。"


async def test_answer_reaches_the_student_with_rating_buttons(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, ACCEPT)
    await forward(h, number)
    await act(h, number, ANSWER, "后勤处已约谈承包商并加强每日抽检。")

    answer = h.last(alice)
    assert "后勤处已约谈承包商并加强每日抽检。" in (answer.text or "")
    assert SIGNATURE in (answer.text or "")
    assert [t for t, _ in answer.buttons()] == ["满意", "基本满意", "不满意"]
    assert (await case_of(h, number)).state == State.ANSWERED
    assert "已答复" in (card(h, number).text or "")

    await alice.press(answer, "满意")
    await h.settle()
    assert (await case_of(h, number)).state == State.CLOSED
    assert "满意" in (card(h, number).text or "")


async def test_non_officer_presses_change_nothing(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    bystander = h.emu.add_user(5005, "路人", username="passerby")
    h.group.add_member(bystander)
    before = card(h, number)
    text, buttons = before.text, before.buttons()
    rows_before = len(await case_rows(h))
    alice_before = len(received(h, alice))

    for button in (ACCEPT, REJECT, MERGE, ANSWER, ASK_INFO):
        query = await bystander.press(card(h, number), button)
        await h.settle()
        shown, as_alert = alert(h, query)
        assert as_alert and shown
    await bystander.send("我来回复一下", chat=h.group, reply_to=card(h, number))
    await h.settle()

    after = card(h, number)
    assert (after.text, after.buttons(), after.edited) == (text, buttons, False)
    case = await case_of(h, number)
    assert case.state == State.SUBMITTED and case.last_actor_id is None
    assert [e.action for e in await events_of(h, number)] == ["submit"]
    assert len(await case_rows(h)) == rows_before
    assert len(received(h, alice)) == alice_before


async def test_last_actor_is_shown_escaped(harness: Harness) -> None:
    h = harness
    odd = h.emu.add_user(5006, "<Li & Co>", username="li_co")
    h.group.add_member(odd)
    assert h.admin is not None
    await say(h, "/officer 5006", who=h.admin)
    _, number = await alice_with_case(h)
    await press(h, number, ACCEPT, who=odd)
    assert "最近操作：<Li & Co>" in (card(h, number).text or "")
    assert not [r for r in h.emu.requests if not r.ok and r.error_code == 400]


async def test_officer_reply_in_thread_of_a_note_reaches_the_student(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await alice.send("还有：今天中午又发现了。", reply_to=h.last(alice))
    await h.settle()
    note = next(
        m for m in h.emu.bot_messages(h.group.id) if "还有：今天中午又发现了。" in (m.text or "")
    )
    await say(h, "收到，我们会一并反映。", reply_to=note)
    assert "收到，我们会一并反映。" in received(h, alice)[-1]
    await reply_to_card(h, number, "请放心。")
    assert "请放心。" in received(h, alice)[-1]

"""Officers writing to a student through the card: signed by the department, or kept internal."""

from __future__ import annotations

from bot.domain.workflow import State
from tests.support.harness import OFFICER_ID, Harness
from tests.support.officer_helpers import (
    ASK_INFO,
    REJECT,
    SIGNATURE,
    act,
    alice_with_case,
    card,
    case_of,
    events_of,
    outbox,
    received,
    reply_to_card,
    say,
    sends_to,
    serialized,
    user_row,
)


async def test_reply_is_signed_by_the_department_never_by_the_officer(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    since = len(h.emu.requests)

    await reply_to_card(h, number, "你好，请问具体是哪一天？")

    message = received(h, alice)[-1]
    assert "你好，请问具体是哪一天？" in message and SIGNATURE in message and number in message
    to_alice = sends_to(h, alice.id, since)
    assert to_alice and all(r.ok for r in to_alice)
    for request in to_alice:
        dump = serialized(request)
        assert "王老师" not in dump and "officer_wang" not in dump and str(OFFICER_ID) not in dump
    event = (await events_of(h, number))[-1]
    assert (event.action, event.public, event.actor_id) == ("reply", True, OFFICER_ID)
    case = await case_of(h, number)
    assert case.state == State.SUBMITTED and case.first_response_at is not None
    # Responded: the card now counts down to the answer deadline instead.
    due = h.app.services.renderer.format_time(case.answer_due_at)  # type: ignore[union-attr]
    assert f"办理时限: {due}" in (card(h, number).text or "")


async def test_officer_photo_is_copied_without_a_name(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    assert h.officer is not None
    since = len(h.emu.requests)
    await h.officer.send_photo("这是整改后的照片", chat=h.group, reply_to=card(h, number))
    await h.settle()

    methods = [r.method for r in sends_to(h, alice.id, since)]
    assert "copyMessage" in methods and "forwardMessage" not in methods
    photo = [m for m in h.emu.bot_messages(alice.id) if m.kind == "photo"]
    assert len(photo) == 1 and "forward_origin" not in photo[0].payload
    assert any("这是整改后的照片" in text and SIGNATURE in text for text in received(h, alice))


async def test_internal_marker_keeps_a_note_among_officers(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    before = len(received(h, alice))
    since = len(h.emu.requests)

    await reply_to_card(h, number, "#内部 这个问题上周已经有人反映过")
    await reply_to_card(h, number, "  #内部前面有空格也算")
    assert h.officer is not None
    await h.officer.send_photo("#内部 现场照片", chat=h.group, reply_to=card(h, number))
    await h.settle()

    assert len(received(h, alice)) == before
    assert sends_to(h, alice.id, since) == []
    notes = [e for e in await events_of(h, number) if e.action == "note"]
    assert len(notes) == 3 and not any(e.public for e in notes)
    assert notes[0].text == "#内部 这个问题上周已经有人反映过"
    # Internal notes are not part of the student's timeline either.
    await alice.send("/my")
    await h.settle()
    await alice.press(h.last(alice), number)
    await h.settle()
    assert "上周已经有人反映过" not in received(h, alice)[-1]


async def test_blocked_student_officers_are_told_and_sends_stop_until_they_return(
    harness: Harness,
) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    alice.block_bot()
    await h.settle()

    await reply_to_card(h, number, "请问是哪一天？")

    warning = h.last(h.group)
    assert number in (warning.text or "") and "⚠️" in (warning.text or "")
    assert warning.reply_to_message_id == card(h, number).message_id  # in the case's thread
    assert (await user_row(h, alice.id)).unreachable_at is not None  # type: ignore[union-attr]
    assert [e.action for e in await events_of(h, number)][-1] == "delivery_failed"

    # Later messages to her are not even attempted; the officers hear about each one.
    since = len(h.emu.requests)
    warnings_before = len(received(h, h.group))
    await reply_to_card(h, number, "再问一次：" + "是哪一天？" * 900)  # two messages long
    assert sends_to(h, alice.id, since) == []
    assert len(received(h, h.group)) == warnings_before + 1  # one warning per reply
    assert [r.status for r in await outbox(h, recipient_user_id=alice.id)][-1] == "failed"

    # She writes to the bot again: the block is lifted and messages flow.
    await alice.send("/my")
    await h.settle()
    assert (await user_row(h, alice.id)).unreachable_at is None  # type: ignore[union-attr]
    await reply_to_card(h, number, "现在能收到吗？")
    assert "现在能收到吗？" in received(h, alice)[-1]


async def test_block_noticed_from_telegrams_update_before_any_reply(harness: Harness) -> None:
    """Telegram tells the bot about the block; no request is wasted on a 403 after that."""
    h = harness
    alice, number = await alice_with_case(h)
    alice.block_bot()
    await h.settle()
    assert (await user_row(h, alice.id)).unreachable_at is not None  # type: ignore[union-attr]

    since = len(h.emu.requests)
    await reply_to_card(h, number, "请问是哪一天？")
    assert sends_to(h, alice.id, since) == []
    assert "⚠️" in (h.last(h.group).text or "")

    # A question or an answer that cannot arrive is reported the same way.
    warnings = len([t for t in received(h, h.group) if t.startswith("⚠️")])
    await act(h, number, ASK_INFO, "请补充照片。")
    await act(h, number, REJECT, "信息不足。")
    assert len([t for t in received(h, h.group) if t.startswith("⚠️")]) == warnings + 2
    assert sends_to(h, alice.id, since) == []


async def test_what_does_not_reach_the_student_is_said_so(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    since = len(h.emu.requests)
    chat = await say(h, "大家下午开会")
    await say(h, "好的", reply_to=chat)  # officers talking among themselves: no answer
    await say(h, "没有回复任何消息")
    assert sends_to(h, h.group.id, since) == []

    assert h.officer is not None
    sticker = await h.officer.send_sticker(chat=h.group, reply_to=card(h, number))
    await h.settle()
    notice = h.last(h.group)
    assert notice.reply_to_message_id == sticker.message_id
    assert sends_to(h, alice.id, since) == []

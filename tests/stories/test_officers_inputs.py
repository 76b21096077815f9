"""The official answer is deliberate: only a reply to the bot's request is taken, it is shown
back naming the case, and only 发送 sends it; it lapses, and it survives a restart."""

from __future__ import annotations

from sqlalchemy import select

from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.emulator.policy import FaultPolicy
from bot.domain.workflow import State
from storage.models import OutboxMessage, PendingInput
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    ANSWER,
    ASK_INFO,
    CHANGE,
    DROP,
    SEND,
    advance,
    alert,
    alice_with_case,
    case_of,
    freeze_clock,
    officer_harness,
    press,
    preview,
    prompt,
    received,
    reply_to_prompt,
    say,
    send_preview,
)

ANSWER_TEXT = "后勤处已约谈承包商，并从本周起每日抽检。"


async def test_only_a_reply_to_the_request_becomes_the_answer(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    heard = len(received(h, alice))

    await press(h, number, ANSWER)
    asked = prompt(h)
    assert number in (asked.text or "") and "回复本消息" in (asked.text or "")
    # The officer goes on talking in the chat: none of it is an answer.
    await say(h, "大家看一下这个案子，我下午再回复。")
    await say(h, ANSWER_TEXT)
    assert len(received(h, alice)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED

    # The reply to the request is shown back, naming the case; still nothing is sent.
    await reply_to_prompt(h, ANSWER_TEXT)
    shown = preview(h).text or ""
    assert f"将向 {number} 的提交人发送以下答复" in shown and ANSWER_TEXT in shown
    assert len(received(h, alice)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED

    query = await send_preview(h)
    assert alert(h, query) == ("已发送。", False)
    assert ANSWER_TEXT in received(h, alice)[-1]
    assert (await case_of(h, number)).state == State.ANSWERED

    # The preview has no buttons left, and the request is over.
    answered = len(received(h, alice))
    sent_preview = next(
        m for m in reversed(h.emu.bot_messages(h.group.id)) if ANSWER_TEXT in (m.text or "")
    )
    assert sent_preview.buttons() == []
    again = await reply_to_prompt(h, "再答复一次")
    assert "已结束" in (h.last(h.group).text or "")
    assert h.last(h.group).reply_to_message_id == again.message_id
    assert len(received(h, alice)) == answered


async def test_another_officer_can_neither_answer_nor_send_it(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    zhao = h.emu.add_user(5001, "赵老师", username="officer_zhao")
    h.group.add_member(zhao)
    await say(h, "/officer 5001", who=h.admin)
    heard = len(received(h, alice))

    await press(h, number, ASK_INFO)
    await reply_to_prompt(h, "请补充是哪一天。", who=zhao)
    assert "另一位工作人员" in (h.last(h.group).text or "")
    await reply_to_prompt(h, "请补充是哪一天。")
    query = await send_preview(h, who=zhao)
    assert alert(h, query)[1] and "另一位工作人员" in (alert(h, query)[0] or "")
    assert len(received(h, alice)) == heard
    assert SEND in [t for t, _ in preview(h).buttons()]  # still the first officer's to send

    await send_preview(h)
    assert "请补充是哪一天。" in received(h, alice)[-1]
    assert (await case_of(h, number)).state == State.NEEDS_INFO


async def test_revise_asks_again_and_cancel_sends_nothing(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    heard = len(received(h, alice))

    await press(h, number, ANSWER)
    first = prompt(h)
    await reply_to_prompt(h, "已处理")
    await send_preview(h, button=CHANGE)
    second = prompt(h)
    assert second.message_id != first.message_id and number in (second.text or "")
    # The first request is over: a reply to it is refused, not taken or relayed.
    await say(h, "已处理完毕", reply_to=first)
    assert "已结束" in (h.last(h.group).text or "")

    await reply_to_prompt(h, ANSWER_TEXT)
    assert ANSWER_TEXT in (preview(h).text or "")
    query = await send_preview(h, button=DROP)
    assert alert(h, query)[0] == "已取消，未发送任何内容。"
    assert len(received(h, alice)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED
    assert all(SEND not in [t for t, _ in m.buttons()] for m in h.emu.bot_messages(h.group.id))


async def test_a_request_and_a_preview_lapse(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    clock = freeze_clock(h)
    heard = len(received(h, alice))

    await press(h, number, ANSWER)
    advance(clock, minutes=31)
    await reply_to_prompt(h, ANSWER_TEXT)
    assert "已过期" in (h.last(h.group).text or "")

    await press(h, number, ANSWER)
    await reply_to_prompt(h, ANSWER_TEXT)
    advance(clock, minutes=29)  # the preview has its own half hour
    assert SEND in [t for t, _ in preview(h).buttons()]
    advance(clock, minutes=2)
    query = await send_preview(h)
    text, shown_as_alert = alert(h, query)
    assert shown_as_alert and "已过期" in (text or "") and "未发送" in (text or "")
    assert len(received(h, alice)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED


async def test_the_lapse_is_a_setting(emulator: BotAPIEmulator, database_url: str) -> None:
    async with officer_harness(emulator, database_url, pending_input_minutes=5) as h:
        _, number = await alice_with_case(h)
        clock = freeze_clock(h)
        await press(h, number, ANSWER)
        assert "5 分钟内有效" in (prompt(h).text or "")
        advance(clock, minutes=6)
        await reply_to_prompt(h, ANSWER_TEXT)
        assert "已过期" in (h.last(h.group).text or "")


async def test_a_request_that_never_arrived_leaves_nothing_pending(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    heard = len(received(h, alice))
    before = len(h.emu.bot_messages(h.group.id))

    h.emu.policy = FaultPolicy().fail("sendMessage", code=400, description="Bad Request: lost")
    await press(h, number, ANSWER)
    assert len(h.emu.bot_messages(h.group.id)) == before  # no request in the chat

    assert h.app is not None
    async with h.app.session_factory() as session:
        asked = (await session.scalars(select(PendingInput))).one()
        row = await session.get(OutboxMessage, asked.prompt_row_id)
    assert row is not None and row.status == "failed" and row.result_message_id is None
    await say(h, ANSWER_TEXT)
    await say(h, "/cancel")
    assert "没有需要取消" in (h.last(h.group).text or "")
    assert len(received(h, alice)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED

    # Pressed again, the request arrives and works.
    await press(h, number, ANSWER)
    await reply_to_prompt(h, ANSWER_TEXT)
    await send_preview(h)
    assert (await case_of(h, number)).state == State.ANSWERED


async def test_a_pending_text_survives_a_restart(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url) as h:
        alice, number = await alice_with_case(h)
        await press(h, number, ANSWER)
        heard = len(received(h, alice))

    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        await reply_to_prompt(h, ANSWER_TEXT)
        assert f"将向 {number}" in (preview(h).text or "")

    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        assert len(received(h, alice)) == heard
        await send_preview(h)
        assert ANSWER_TEXT in received(h, alice)[-1]
        assert (await case_of(h, number)).state == State.ANSWERED

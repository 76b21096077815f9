"""Deadlines as the officers meet them: on the card, in /queue, and in the morning reminder,
with the clock stopped while the student is asked for information."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.delivery import notify
from storage.crud import outbox as outbox_crud
from tests.support.deadline_helpers import plain_monday
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ASK_INFO,
    act,
    advance,
    alice_with_case,
    card,
    case_of,
    freeze_clock,
    press,
    say,
)


def when(h: Harness, moment: datetime | None) -> str:
    assert h.app is not None
    return h.app.services.renderer.format_time(moment)


async def test_the_clock_stops_while_the_student_is_asked(harness: Harness) -> None:
    h = harness
    assert h.app is not None and h.app.jobs is not None
    monday = plain_monday(h)
    clock = freeze_clock(h, at=monday)
    logistics = h.app.services.org.category("logistics")
    assert logistics is not None
    logistics.answer_days = 1  # a one-working-day answer clock keeps the story short

    alice, number = await alice_with_case(h)
    # Two working days to a first response: Wednesday 10:00.
    assert f"办理时限: {when(h, monday + timedelta(days=2))}" in (card(h, number).text or "")
    await press(h, number, ACCEPT)
    assert f"办理时限: {when(h, monday + timedelta(days=1))}" in (card(h, number).text or "")

    advance(clock, hours=1)  # Monday 11:00: one hour of the answer clock used
    await act(h, number, ASK_INFO, "请补充具体的窗口和时间。")
    assert "计时暂停" in (card(h, number).text or "")
    assert (await case_of(h, number)).answer_due_at is None

    advance(clock, days=1)  # Tuesday 11:00, past the deadline the pause moved
    before = len(h.emu.bot_messages(OFFICERS_CHAT))
    assert await h.app.jobs.reminders(clock[0]) == 0  # waiting for the student: no reminder
    await h.settle()
    assert len(h.emu.bot_messages(OFFICERS_CHAT)) == before

    advance(clock, days=1)  # Wednesday 11:00: the student answers
    request = h.last(alice)
    await alice.send("周三中午，3号窗口。", reply_to=request)
    await h.settle()
    # 1 h used on Monday, 23 h from Wednesday 11:00: Thursday 10:00.
    due = monday + timedelta(days=3)
    assert (await case_of(h, number)).answer_due_at == due
    assert f"办理时限: {when(h, due)}" in (card(h, number).text or "")
    assert "已超时" not in (card(h, number).text or "")

    await say(h, "/queue")
    queue = h.last(h.group).text or ""
    assert number in queue and when(h, due)[5:] in queue and "⚠️" not in queue

    advance(clock, hours=22)  # Thursday 09:00: due today, not yet overdue
    assert await h.app.jobs.reminders(clock[0]) == 1
    await h.settle()
    reminder = h.last(h.group).text or ""
    assert "今日到期 1 件" in reminder and number in reminder and "已超时" not in reminder

    advance(clock, hours=2)  # Thursday 11:00
    assert "已超时" in await refreshed_card(h, number)
    await say(h, "/queue")
    assert "⚠️" in (h.last(h.group).text or "")


async def refreshed_card(h: Harness, number: str) -> str:
    """The card once redrawn (cards are redrawn when their case changes, not by the clock)."""
    assert h.app is not None
    case = await case_of(h, number)
    async with h.app.session_factory.begin() as session:
        await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(case)])
    h.app.worker.wake()
    await h.settle()
    return card(h, number).text or ""

"""What the officers' chat is told about deliveries and deadlines never names an anonymous
submitter: /failed shows the case and a neutral recipient, the reminder's holder is an officer."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.casework.deadlines import calendar_of
from bot.devkit.emulator import SimUser
from bot.domain.workflow import State
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    act,
    case_of,
    say,
    seed_case,
    seed_student,
)

IDENTITY = re.compile(r"424242|Xiaoyu|Lin\b|lin_xiaoyu", re.IGNORECASE)


async def anonymous_student(h: Harness) -> SimUser:
    student = await seed_student(h, 424242, "Xiaoyu", username="lin_xiaoyu")
    student.profile.last_name = "Lin"
    return student


async def test_failed_shows_the_case_not_the_student(harness: Harness) -> None:
    h = harness
    student = await anonymous_student(h)
    number = await seed_case(h, student, anonymous=True)
    student.block_bot()
    await h.settle()
    await act(h, number, ANSWER, "已整改，感谢反馈。")

    await say(h, "/failed", who=h.admin)
    listing = h.last(h.group).text or ""
    assert number in listing and "私聊发往个人" in listing
    assert not IDENTITY.search(listing), listing


async def test_the_reminder_names_the_officer_who_holds_it_never_the_student(
    harness: Harness,
) -> None:
    """The student acted last (they added the information asked for), which the case records
    without their id: the reminder still names the officer who last acted."""
    h = harness
    assert h.app is not None and h.app.jobs is not None
    student = await anonymous_student(h)
    number = await seed_case(h, student, anonymous=True)
    await act(h, number, ACCEPT)
    await act(h, number, ASK_INFO, "请补充具体是哪一天。")
    await student.send("上周三中午，二楼三号窗口。", reply_to=h.last(student))
    await h.settle()
    case = await case_of(h, number)
    assert case.state == State.ACCEPTED and case.last_actor_id is None
    assert case.answer_due_at is not None

    calendar = calendar_of(h.app.services)
    day = calendar.local_date(case.answer_due_at) + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    before = len(h.emu.bot_messages(OFFICERS_CHAT))
    assert await h.app.jobs.reminders(datetime.combine(day, time(10), calendar.tz)) == 1
    await h.settle()

    (reminder,) = [m.text or "" for m in h.emu.bot_messages(OFFICERS_CHAT)[before:]]
    line = next(line for line in reminder.splitlines() if number in line)
    assert "王老师" in line
    assert not IDENTITY.search(reminder), reminder

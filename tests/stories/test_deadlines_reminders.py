"""The daily deadline reminder: working days only, one batched message, nothing when nothing is
due, liaisons told of their department's cases in private."""

from __future__ import annotations

from sqlalchemy import select

from storage.crud import users as users_crud
from storage.models import ScheduledRun
from tests.support.digest_fixture import Spec, at, insert, two_weeks
from tests.support.harness import OFFICERS_CHAT, Harness

LIAISON_ID = 8101


def held_by_logistics() -> Spec:
    """Forwarded to 后勤保障处 on 10 Nov; the department's ten working days ended on 20 Nov."""
    return Spec(
        "G2026-0009", "logistics", "nursing", at(10, 9),
        [
            ("accept", "submitted", "accepted", at(10, 10)),
            ("forward", "accepted", "in_progress", at(10, 12)),
        ],
        department="logistics",
        answer_due=at(30, 9),
        department_due=at(20, 9),
    )  # fmt: skip


async def seed(h: Harness, *, liaison: bool = False) -> None:
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        await insert(session, [*two_weeks(), held_by_logistics()])
        if liaison:
            await users_crud.upsert_user(
                session=session, user_id=LIAISON_ID, first_name="李老师", language_code="zh-hans"
            )
            await users_crud.grant_role(
                session=session, user_id=LIAISON_ID, role="liaison", granted_by=None,
                department="logistics",
            )  # fmt: skip


async def reminder_runs(h: Harness) -> list[tuple[str, int]]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = await session.scalars(select(ScheduledRun).where(ScheduledRun.job == "reminders"))
        return [(run.period, run.sent) for run in rows]


async def test_overdue_and_due_today_cases_in_one_message(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert h.app is not None and h.app.jobs is not None
    before = len(h.emu.bot_messages(OFFICERS_CHAT))
    assert await h.app.jobs.reminders(at(23, 9, 0)) == 1  # Monday 09:00
    await h.settle()
    messages = h.emu.bot_messages(OFFICERS_CHAT)[before:]
    assert len(messages) == 1
    text = messages[0].text or ""
    overdue, today = text.split("今日到期")
    assert "督办提醒 · 2026-11-23" in overdue and "已超时 1 件" in overdue
    # E: submitted 17 Nov, first response due 19 Nov 08:00, nobody has accepted it yet.
    assert "G2026-0005 · 宿舍住宿 · 已 6 天 · 待受理 · 超时 4 天" in overdue
    # H: a proposal submitted Thursday 10:00, due today at 10:00.
    assert "P2026-0001 · 教学教务 · 已 3 天 · 待受理 · 10:00 到期" in today
    assert "S2026-0001" not in text  # waiting for the student: no clock, no reminder
    assert "G2026-0009" not in text  # the department is late, the officers are not
    # The same day again, a restart, a second instance: nothing more.
    assert await h.app.jobs.reminders(at(23, 15, 0)) is None
    await h.settle()
    assert len(h.emu.bot_messages(OFFICERS_CHAT)) == before + 1
    assert await reminder_runs(h) == [("2026-11-23", 1)]


async def test_reminders_only_on_working_days_from_the_set_time(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert h.app is not None and h.app.jobs is not None
    jobs = h.app.jobs
    assert await jobs.reminders(at(21, 10)) is None  # Saturday
    assert await jobs.reminders(at(22, 10)) is None  # Sunday
    assert await jobs.reminders(at(1, 10, month=10)) is None  # 国庆节
    assert await jobs.reminders(at(23, 8, 59)) is None  # Monday, before 09:00
    # 10 October 2026 is a Saturday worked in exchange for the holiday (调休): it runs, and
    # nothing was due yet then.
    assert await jobs.reminders(at(10, 9, 30, month=10)) == 0
    assert await reminder_runs(h) == [("2026-10-10", 0)]


async def test_nothing_due_nothing_sent(harness: Harness) -> None:
    h = harness
    assert h.app is not None and h.app.jobs is not None
    before = len(h.emu.bot_messages(OFFICERS_CHAT))
    assert await h.app.jobs.reminders(at(23, 9, 30)) == 0
    await h.settle()
    assert len(h.emu.bot_messages(OFFICERS_CHAT)) == before
    assert await h.app.jobs.reminders(at(23, 16, 0)) is None  # the day is done


async def test_a_liaison_hears_of_their_departments_overdue_cases(harness: Harness) -> None:
    h = harness
    liaison = h.emu.add_user(LIAISON_ID, "李老师", language_code="zh-hans", started=True)
    await seed(h, liaison=True)
    assert h.app is not None and h.app.jobs is not None
    assert await h.app.jobs.reminders(at(23, 9, 0)) == 2  # the officers' and the liaison's
    await h.settle()
    text = h.last(liaison).text or ""
    assert "督办提醒 · 后勤保障处 · 2026-11-23" in text
    assert "G2026-0009 · 后勤餐饮 · 期限 11-20 09:00 · 超时 3 天" in text
    assert "G2026-0005" not in text  # not the department's

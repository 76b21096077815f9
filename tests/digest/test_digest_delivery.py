"""The weekly digest reaches the committee chat: once per week, late when it must, on demand."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from bot.app.runtime import build_app, running
from bot.app.scheduler import Jobs
from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.emulator.models import SimMessage
from storage.crud import users as users_crud
from storage.db import create_engine, create_session_factory
from storage.models import ScheduledRun
from tests.support.digest_fixture import at, insert, two_weeks
from tests.support.harness import ADMIN_ID, OFFICERS_CHAT, Harness, make_settings, reset_database

COMMITTEE_CHAT = -1001000000077
ON_TIME = at(23, 9, 0)  # Monday 09:00 Beijing time: the slot for week 47


async def committee(h: Harness) -> None:
    """The committee's chat, bound, and the hand-counted history of tests.support.digest_fixture."""
    assert h.app is not None and h.admin is not None
    chat = h.emu.add_group(chat_id=COMMITTEE_CHAT, title="校团委", is_forum=False)
    chat.add_member(h.admin, status="creator")
    async with h.app.session_factory.begin() as session:
        await users_crud.set_binding(
            session=session, purpose="committee", chat_id=COMMITTEE_CHAT, is_forum=False, title=None
        )
        await insert(session, two_weeks())


def report_of(emu: BotAPIEmulator, message: SimMessage) -> str:
    return emu.world.files[message.file_ids[0]].data.decode("utf-8")


async def runs(h: Harness) -> list[ScheduledRun]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(ScheduledRun).order_by(ScheduledRun.id)))


async def test_the_digest_is_a_summary_a_chart_and_a_report(harness: Harness) -> None:
    h = harness
    await committee(h)
    assert h.app is not None and h.app.jobs is not None
    assert await h.app.jobs.digest(at(23, 9, 1)) is True
    await h.settle()

    summary, chart, report = h.emu.bot_messages(COMMITTEE_CHAT)
    text = summary.text or ""
    assert "2026年第47周" in text and "2026-11-16 – 2026-11-22" in text
    assert "新增 6 (+4)" in text and "已答复 3 (+2)" in text and "已办结 1 (±0)" in text
    assert "在办 4 (+3)" in text and "超时 1 (+1)" in text
    assert "中位 1.5 小时" in text and "中位 3.0 天" in text
    assert "基本满意 50% (1)" in text and "不满意 50% (1)" in text
    assert "G2026-0005" in text  # the overdue case
    assert "补发" not in text
    assert chart.kind == "photo"
    assert report.kind == "document" and report.payload["document"]["file_name"].endswith(".html")
    html = report_of(h.emu, report)
    assert "宿舍楼热水供应不稳定" in html  # a named case's subject, among the hot topics
    assert "食堂饭菜里连续出现异物" not in html  # an anonymous one's never
    assert "匿名" in html and "data:image/png;base64," in html
    assert "P2026-0001" not in text and "待受理" in html  # the proposal's progress
    assert [(r.job, r.period, r.late) for r in await runs(h)] == [("digest", "2026-W47", False)]


async def test_exactly_once_across_a_restart_and_two_instances(harness: Harness) -> None:
    h = harness
    await committee(h)
    assert h.app is not None
    url = h.app.settings.database_url
    engines = [create_engine(url), create_engine(url)]
    try:
        instances = [
            Jobs(services=h.app.services, session_factory=create_session_factory(engine))
            for engine in engines
        ]
        sent = await asyncio.gather(*(jobs.digest(ON_TIME) for jobs in instances))
        assert sorted(sent) == [False, True]
        # A restart: a new process, the same database, ticking again minutes later.
        restarted = Jobs(services=h.app.services, session_factory=h.app.session_factory)
        assert await restarted.digest(at(23, 9, 5)) is False
        assert await restarted.digest(at(29, 20, 0)) is False  # still week 47's slot
    finally:
        for engine in engines:
            await engine.dispose()
    h.app.worker.wake()
    await h.settle()
    assert len(h.emu.bot_messages(COMMITTEE_CHAT)) == 3
    assert len(await runs(h)) == 1


async def test_a_missed_slot_is_sent_late_once(harness: Harness) -> None:
    h = harness
    await committee(h)
    assert h.app is not None and h.app.jobs is not None
    # The bot was down on Monday morning and comes back on Wednesday afternoon.
    assert await h.app.jobs.digest(at(25, 14, 0)) is True
    assert await h.app.jobs.digest(at(25, 14, 1)) is False
    await h.settle()
    summary = h.emu.bot_messages(COMMITTEE_CHAT)[0].text or ""
    assert "补发" in summary and "2026-11-23 09:00" in summary and "2026年第47周" in summary
    assert [(r.period, r.late) for r in await runs(h)] == [("2026-W47", True)]
    assert len(h.emu.bot_messages(COMMITTEE_CHAT)) == 3


async def test_digest_on_demand_in_the_committee_chat_or_for_an_admin(harness: Harness) -> None:
    h = harness
    await committee(h)
    assert h.admin is not None
    member = h.emu.add_user(6001, "委员")
    group = h.emu.group(COMMITTEE_CHAT)
    group.add_member(member)
    await member.send("/digest", chat=group)
    await h.settle()
    summary, chart, report = h.emu.bot_messages(COMMITTEE_CHAT)
    assert "截至目前" in (summary.text or "") and chart.kind == "photo"
    assert report.kind == "document"

    student = await h.student(6002, "同学")
    await student.send("/digest")
    await h.settle()
    assert "仅限" in (h.last(student).text or "")
    await h.admin.send("/digest", chat=h.group)  # an admin, in the officers' chat
    await h.settle()
    assert any(m.kind == "document" for m in h.emu.bot_messages(OFFICERS_CHAT))
    assert await runs(h) == []  # on demand claims nothing


async def test_the_running_bot_ticks_at_start_up(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """End to end: the scheduler really runs in `running()` and posts where it should."""
    engine = await reset_database(database_url)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        await insert(session, two_weeks())
    await engine.dispose()
    emulator.add_group(chat_id=OFFICERS_CHAT, title="权益部工作群")
    emulator.add_group(chat_id=COMMITTEE_CHAT, title="校团委")
    settings = make_settings(
        emulator.base_url,
        database_url,
        scheduler_enabled=True,
        committee_chat_id=COMMITTEE_CHAT,
        admin_ids=[ADMIN_ID],
    )
    app = build_app(settings)
    moment: list[datetime] = [at(23, 9, 1)]
    app.services.clock = lambda: moment[0]
    from bot.app.runtime import bind_configured_chats

    await bind_configured_chats(app)
    try:
        async with running(app):
            await emulator.wait_for_message(COMMITTEE_CHAT, contains="2026年第47周", timeout=30)
            reminder = await emulator.wait_for_message(OFFICERS_CHAT, contains="督办", timeout=30)
            await emulator.wait_for_request("sendDocument", timeout=30, since=0)
    finally:
        await app.bot.session.close()
        await app.engine.dispose()
    assert "G2026-0005" in (reminder.text or "")

"""The real polling loop, end to end: getUpdates over HTTP, the inbox, the processor and the
delivery worker running in the background, as `studentvoice run` runs them. Each step waits for
what the person should see (with a deadline), never for a quiet moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.app.runtime import App, build_app, run_polling
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.devkit.scenario import CASE_NUMBER
from storage.models import Case, InboxUpdate
from tests.support import anonymity
from tests.support.harness import ADMIN_ID, OFFICER_ID, OFFICERS_CHAT, make_settings, reset_database

pytestmark = pytest.mark.e2e
WAIT = 20.0


@pytest.fixture
async def polling(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[App]:
    await (await reset_database(database_url)).dispose()
    app = build_app(make_settings(emulator.base_url, database_url))
    app.poller.timeout = 1
    settings = app.settings
    anonymity.watch(emulator, database_url, settings.admin_ids, settings.identity_key)
    task = asyncio.create_task(run_polling(app, handle_signals=False))
    try:
        yield app
    finally:
        app.poller.stop()
        await asyncio.wait_for(task, timeout=WAIT)


async def said(emu: BotAPIEmulator, who: SimUser | int, contains: str) -> str:
    message = await emu.wait_for_message(who, contains=contains, timeout=WAIT)
    return message.content


async def press(emu: BotAPIEmulator, who: SimUser, button: str) -> None:
    await who.press(await emu.wait_for_button(who, button, timeout=WAIT), button)


async def test_a_grievance_from_start_to_an_accepted_card(
    emulator: BotAPIEmulator, polling: App
) -> None:
    emu = emulator
    group = emu.add_group(chat_id=OFFICERS_CHAT, title="权益部工作群", is_forum=False)
    admin = emu.add_user(user_id=ADMIN_ID, first_name="管理员", username="union_admin")
    officer = emu.add_user(user_id=OFFICER_ID, first_name="王老师", username="officer_wang")
    group.add_member(admin, status="creator")
    group.add_member(officer)
    await admin.send(f"/officer {OFFICER_ID}", chat=group)
    await said(emu, group, "权益部工作人员")

    student = emu.add_user(user_id=5151, first_name="Lin", language_code="zh-hans")
    await student.send("/start")
    for button in ("同意", "中文", "临床医学院"):
        await press(emu, student, button)
    await said(emu, student, "设置完成")

    await student.send("/new")
    for button in ("权益诉求", "后勤餐饮"):
        await press(emu, student, button)
    await student.send("食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。")
    for button in ("无附件", "实名", "✅ 提交"):
        await press(emu, student, button)
    confirmation = await said(emu, student, "编号")
    found = CASE_NUMBER.search(confirmation)
    assert found is not None
    number = found.group(0)

    card = await emu.wait_for_message(group, contains=number, timeout=WAIT)
    await officer.press(card, "受理")
    await said(emu, group, "已受理")
    assert number in await said(emu, student, "已由权益部受理")

    async with polling.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0

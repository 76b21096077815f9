"""With REDIS_URL, a dialogue survives a restart and may continue on another instance."""

from __future__ import annotations

import pytest

from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.scenario import CASE_NUMBER, Scenario
from tests.support import delivery_helpers
from tests.support.harness import OFFICERS_CHAT, reset_database, start_bot


@pytest.fixture
async def redis_url() -> str:
    return await delivery_helpers.redis_url()


async def test_a_half_finished_submission_continues_after_a_restart(
    emulator: BotAPIEmulator, redis_url: str, tmp_path: object
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/redis.db"
    await (await reset_database(database_url)).dispose()
    group = emulator.add_group(chat_id=OFFICERS_CHAT, title="权益部", is_forum=False)
    student = emulator.add_user(user_id=3001, first_name="Lin", language_code="zh-hans")

    async with start_bot(emulator, database_url, redis_url=redis_url) as app:
        story = Scenario(emu=emulator, driver=Driver(app), group=group)
        await story.onboard(student)
        await student.send("/new")
        await story.settle()
        await student.press(story.last(student), "意见建议")
        await story.settle()
        await student.press(story.last(student), "教学教务")
        await story.settle()
        await story.driver.close()

    # A different process (here: a fresh app) picks the conversation up where it stopped.
    async with start_bot(emulator, database_url, redis_url=redis_url) as app:
        story = Scenario(emu=emulator, driver=Driver(app), group=group)
        await student.send("希望图书馆期末周延长开放时间到晚上十二点。")
        await story.settle()
        assert "(4/5)" in (story.last(student).text or "")
        await student.press(story.last(student), 0)
        await story.settle()
        await student.press(story.last(student), 0)
        await story.settle()
        await student.press(story.last(student), 0)
        await story.settle()
        numbers = [m.group(0) for t in story.texts(student) if (m := CASE_NUMBER.search(t))]
        assert numbers and numbers[-1].startswith("S")
        await story.driver.close()
        assert "图书馆期末周" in (story.card(numbers[-1]).text or "")

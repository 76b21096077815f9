"""Two webhook instances on one database and one Redis, as behind a load balancer: a student's
dialogue whose updates alternate between them completes, each message is sent once, nobody is
told anything before the conversation state it leads to is in Redis (the person's next update
may reach the other instance), and a scheduled job runs once whichever instance ticks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import func, select

from bot.app.webhook_server import WebhookServer
from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.scenario import Scenario
from storage.models import ProcessedUpdate, ScheduledRun
from tests.support.delivery_helpers import redis_url
from tests.support.digest_fixture import at, insert, two_weeks
from tests.support.harness import DEFAULT_TEXT, OFFICERS_CHAT, reset_database
from tests.support.webhook_helpers import webhook_bot, webhook_driver

pytestmark = pytest.mark.e2e
REDIS_DB = 9
LATE = 0.3


@contextlib.asynccontextmanager
async def two_instances(
    emu: BotAPIEmulator, database_url: str, *, first_storage: BaseStorage | None = None
) -> AsyncIterator[list[WebhookServer]]:
    await (await reset_database(database_url)).dispose()
    redis = await redis_url(REDIS_DB)
    async with (
        webhook_bot(emu, database_url, redis_url=redis, storage=first_storage) as first,
        webhook_bot(emu, database_url, redis_url=redis) as second,
    ):
        yield [first, second]


class SlowToRemember(RedisStorage):
    """Redis, with every conversation state written a moment late; what the bot sent to
    anyone in that moment is noted: it was sent before the state it leads to was there."""

    def __init__(self, url: str, emu: BotAPIEmulator) -> None:
        redis = RedisStorage.from_url(url).redis
        super().__init__(redis)
        self.emu = emu
        self.early: list[str] = []

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        before = len(self._sent())
        await asyncio.sleep(LATE)
        self.early += self._sent()[before:]
        await super().set_state(key, state)

    def _sent(self) -> list[str]:
        return [str(r.params.get("text")) for r in self.emu.requests if r.method == "sendMessage"]


async def test_a_dialogue_alternating_between_two_instances_completes_once(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    group = emulator.add_group(chat_id=OFFICERS_CHAT, title="权益部", is_forum=False)
    student = emulator.add_user(user_id=5301, first_name="Lin", language_code="zh-hans")
    async with two_instances(emulator, database_url) as servers:
        async with webhook_driver(emulator, servers) as driver:
            story = Scenario(emu=emulator, driver=driver, group=group)
            await story.onboard(student)
            number = await story.submit(student, DEFAULT_TEXT)
        assert driver.turn >= 8 and set(driver.statuses) == {200}
    told = [text for text in story.texts(student) if number in text]
    cards = [text for text in story.texts(group) if number in text.split("\n", 1)[0]]
    assert len(told) == 1 and len(cards) == 1
    # Every message either instance queued went out once: no two sends of one outbox row.
    sent = [r for r in emulator.requests if r.method == "sendMessage" and r.ok]
    keys = [(r.chat_id, r.params.get("text")) for r in sent]
    assert len(keys) == len(set(keys))


async def test_nobody_is_told_before_the_state_their_answer_needs_is_in_redis(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    emulator.add_group(chat_id=OFFICERS_CHAT, title="权益部", is_forum=False)
    student = emulator.add_user(user_id=5302, first_name="Wu", language_code="zh-hans")
    slow = SlowToRemember(await redis_url(REDIS_DB), emulator)
    async with two_instances(emulator, database_url, first_storage=slow) as servers:
        async with webhook_driver(emulator, servers) as driver:
            await student.send("/start")  # to the first instance, slow to write the state
            await driver.settle()
            question = emulator.last_bot_message(student.id)
            assert question is not None
            # The student could have answered at once, on the second instance: the state that
            # answer needs was written before the question went out.
            assert slow.early == []
            await student.press(question, 0)  # consent, to the second instance
            await driver.settle()
        async with servers[0].app.session_factory() as session:
            handled = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    # Each update was handled once, by one of the two; the second knew where the dialogue was.
    assert driver.turn == handled == 2 and set(driver.statuses) == {200}
    asked = [m.text or "" for m in emulator.bot_messages(student.id)]
    assert len(asked) == 2 and asked[0] != asked[1]


async def test_a_due_reminder_is_sent_once_when_both_instances_tick(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    emulator.add_group(chat_id=OFFICERS_CHAT, title="权益部", is_forum=False)
    async with two_instances(emulator, database_url) as servers:
        async with servers[0].app.session_factory.begin() as session:
            await insert(session, two_weeks())
        monday_nine = at(23, 9, 0)
        ticks = []
        for server in servers:
            assert server.app.jobs is not None
            ticks.append(server.app.jobs.tick(monday_nine))
        await asyncio.gather(*ticks)
        for server in servers:
            await server.app.worker.drain()
        async with servers[0].app.session_factory() as session:
            runs = list(await session.scalars(select(ScheduledRun)))
    # The day's reminder and the day's retention purge, each claimed by one of the two.
    assert sorted((run.job, run.period) for run in runs) == [
        ("reminders", "2026-11-23"),
        ("retention", "2026-11-23"),
    ]
    reminders = [m for m in emulator.bot_messages(OFFICERS_CHAT) if "督办提醒" in (m.text or "")]
    assert len(reminders) == 1

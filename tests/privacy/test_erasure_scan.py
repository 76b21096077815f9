"""/deleteme leaves nothing behind. After a student's full story — a named grievance with a
photo and an anonymous one, information added, officers' replies, an answer rated with a
comment, a proposal followed and supported — and the erasure, no row of any table (reflected
from the database, so tables added later are scanned too) and no Redis key or value holds the
person's id, names or username. The cases stay, and so do the digest's figures."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.devkit.emulator import BotAPIEmulator
from bot.digest.figures import Digest, collect
from bot.digest.periods import week_of
from bot.domain.workflow import Action
from storage.models import Case
from tests.support.delivery_helpers import redis_url
from tests.support.dump_scan import stored_values
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import OfficerHarness
from tests.support.proposal_helpers import (
    officer_act,
    proposal_harness,
    seed_congress,
    seed_proposal,
    seed_representative,
)
from tests.support.student_helpers import Talk, answer, officer_press, officer_reply, officer_text

# Distinctive, so that finding them anywhere means they were left behind.
PERSON = 7_310_458_862
FIRST, LAST, USERNAME = "晓雨", "Quennell", "xiaoyu_q7"
NAMED_TEXT = "宿舍楼热水器已经坏了两个星期，多次报修无人处理，冬天洗澡非常困难。"
ANONYMOUS_TEXT = "某任课老师多次在课堂上发表歧视性言论，同学们不敢当面反映。"
COMMENT = "维修很及时，谢谢权益部。"
FSM_DB = 11  # a Redis database of this module's own, emptied first


_ID = re.compile(rf"(?<!\d){PERSON}(?!\d)")


def holds_person(value: Any) -> bool:
    for item in stored_values(value):
        if isinstance(item, int):
            if item == PERSON:
                return True
            continue
        lowered = item.lower()
        if _ID.search(item) or FIRST in item or LAST.lower() in lowered:
            return True
        if USERNAME.lower() in lowered:
            return True
    return False


async def database_traces(engine: AsyncEngine) -> list[str]:
    """Every column of every row of every table that holds the person."""
    metadata = MetaData()
    found: list[str] = []
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        assert "outbox" in metadata.tables and "users" in metadata.tables
        for table in metadata.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                found += [
                    f"{table.name}.{column} = {value!r:.120}"
                    for column, value in row.items()
                    if holds_person(value)
                ]
    return found


async def redis_traces(url: str) -> list[str]:
    """Every key of the database, and every value, that holds the person."""
    client = Redis.from_url(url)
    found: list[str] = []
    try:
        async for key in client.scan_iter():
            kind = (await client.type(key)).decode()
            value: Any
            if kind == "string":
                value = await client.get(key)
            elif kind == "hash":
                value = list((await client.hgetall(key)).items())
            elif kind == "zset":
                value = await client.zrange(key, 0, -1, withscores=True)
            elif kind == "set":
                value = list(await client.smembers(key))
            elif kind == "list":
                value = await client.lrange(key, 0, -1)
            else:
                value = kind
            if holds_person(key) or holds_person(value):
                found.append(f"{key!r} = {value!r:.120}")
    finally:
        await client.aclose()
    return found


def memory_traces(storage: object) -> list[str]:
    """Conversation states in the process that are the person's or hold them. (aiogram's
    memory storage keeps an empty record for every chat it was ever asked about.)"""
    if not isinstance(storage, MemoryStorage):
        return []
    return [
        f"{key} = {record}"
        for key, record in storage.storage.items()
        if (PERSON in (key.chat_id, key.user_id) and (record.state or record.data))
        or holds_person(record.data)
    ]


@pytest.fixture(params=["memory", "redis"])
async def fsm_redis(request: pytest.FixtureRequest) -> str | None:
    """Conversation state and the delivery limits in this process, or in Redis."""
    return await redis_url(FSM_DB) if request.param == "redis" else None


@pytest.fixture
async def harness(
    emulator: BotAPIEmulator, database_url: str, fsm_redis: str | None
) -> AsyncIterator[OfficerHarness]:
    overrides = {"redis_url": fsm_redis} if fsm_redis else {}
    async with proposal_harness(emulator, database_url, channel=True, **overrides) as h:
        yield h


async def digest_at(h: OfficerHarness, now: datetime) -> Digest:
    """This week's digest so far, as it stood at `now`."""
    assert h.app is not None
    services = h.app.services
    async with h.app.session_factory() as session:
        return await collect(
            session=session,
            org=services.org,
            tz=services.settings.tz,
            period=week_of(now.astimezone(services.settings.tz).date()),
            now=now,
            so_far=True,
        )


def counted(digest: Digest) -> dict[str, Any]:
    """The figures: what the erasure must not change. (Followers and supports are the
    person's links and go with them.)"""
    figures = dataclasses.asdict(digest)
    for name in ("most_supported", "most_concerned"):
        figures.pop(name)
    return figures


async def live_story(h: OfficerHarness) -> tuple[Talk, list[str]]:
    """The person's whole story with the bot, as they and the officers live it."""
    assert h.app is not None
    congress = await seed_congress(h)
    proposer, _ = await seed_representative(h, 1101, "陈晓", congress)
    cosigners = [
        (await seed_representative(h, 1102 + n, name, congress))[0]
        for n, name in enumerate(("王芳", "赵磊"))
    ]
    proposal = await seed_proposal(h, proposer, cosigners=tuple(cosigners))
    await officer_act(h, proposal, Action.ACCEPT)

    user = h.emu.add_user(PERSON, FIRST, USERNAME, "zh-hans", last_name=LAST)
    me = Talk(h, user)
    await me.send("/start")
    await me.press(0)
    await me.press("中文")
    await me.press("临床医学院")

    named = await h.submit(user, NAMED_TEXT, photos=1)
    anonymous = await h.submit(user, ANONYMOUS_TEXT, category="骚扰与歧视", anonymous=True)

    await me.press("补充信息", me.message_with(f"编号为 {named}"))
    await me.send("每天晚上九点以后完全没有热水。")
    await officer_press(h, named, "受理")
    await officer_reply(h, named, "请问是几号楼？")
    await me.send("5号楼，三层。", reply_to=me.message_with("请问是几号楼？"))
    await answer(h, named)
    await me.press("满意", me.message_with("的答复"))
    await me.send(COMMENT)

    await officer_text(h, anonymous, "需补充", "请说明是哪门课程。")
    await me.send("大二的医学伦理课。", reply_to=me.message_with("请说明是哪门课程。"))

    await me.send("/proposals")
    await me.press(proposal)
    await me.press("关注")
    await me.press("👍 支持 (0)")
    return me, [named, anonymous, proposal]


async def test_after_deleteme_no_table_and_no_redis_key_holds_the_person(
    harness: OfficerHarness, fsm_redis: str | None
) -> None:
    h = harness
    assert h.app is not None
    me, numbers = await live_story(h)
    # A half-finished step in the officers' group too (a prompt an officer pressed and has
    # not answered yet leaves one): the person's keys are not only their private chat's.
    storage = h.app.dispatcher.fsm.storage.inner  # behind the storage that waits for commits
    in_group = StorageKey(bot_id=h.app.bot.id, chat_id=OFFICERS_CHAT, user_id=PERSON)
    await storage.set_state(in_group, "AnswerFlow:text")
    await storage.set_data(in_group, {"case": numbers[0]})

    # The scans find the person while they are known: they look in the right places.
    assert await database_traces(h.app.engine)
    assert memory_traces(storage) or (fsm_redis and await redis_traces(fsm_redis))
    async with h.app.session_factory() as session:
        cases_before = await session.scalar(select(func.count()).select_from(Case))
    moment = h.app.services.now()
    digest_before = await digest_at(h, moment)

    await me.send("/deleteme")
    erased = await me.press("删除我的数据")
    assert "您的数据已删除" in erased.text
    await h.settle()

    assert await database_traces(h.app.engine) == []
    assert memory_traces(storage) == []
    if fsm_redis:
        assert await redis_traces(fsm_redis) == []

    async with h.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == cases_before
        kept = {
            case.number: case
            for case in await session.scalars(select(Case).where(col(Case.number).in_(numbers)))
        }
    assert kept[numbers[0]].text == NAMED_TEXT and kept[numbers[0]].rating_comment == COMMENT
    assert kept[numbers[1]].text == ANONYMOUS_TEXT
    digest_after = await digest_at(h, moment)
    assert counted(digest_after) == counted(digest_before)  # the anonymous share included

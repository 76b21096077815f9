"""Who wrote an anonymous case is not in a dump of the database, nor in the conversation state
kept in Redis: it is sealed under IDENTITY_KEY, and the student is reached all the same."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import logctx
from bot.devkit.emulator import BotAPIEmulator
from tests.support.delivery_helpers import redis_url
from tests.support.dump_scan import stored_values
from tests.support.harness import Harness
from tests.support.officer_helpers import OfficerHarness, case_of
from tests.support.proposal_helpers import proposal_harness
from tests.support.student_helpers import Talk, answer, officer_press, officer_reply, officer_text

# Distinctive, so that finding them anywhere means they were stored there.
PERSON = 6_204_817_359
FIRST, LAST, USERNAME = "梓涵", "Wexford", "zihan_w9"
ANONYMOUS_TEXT = "辅导员多次在班会上公开点名批评请过心理假的同学，大家都不敢再请假。"
NAMED_TEXT = "图书馆三楼的空调坏了一周，自习室非常闷热。"
REPLY = "请问是哪一次班会？"
FSM_DB = 15  # a Redis database of this module's own, emptied first

_ID = re.compile(rf"(?<!\d){PERSON}(?!\d)")


def names_the_student(value: Any) -> bool:
    for item in stored_values(value):
        if isinstance(item, int):
            if item == PERSON:
                return True
        elif _ID.search(item) or FIRST in item or LAST in item or USERNAME in item:
            return True
    return False


def holds_the_id(value: Any) -> bool:
    return any(
        item == PERSON if isinstance(item, int) else bool(_ID.search(item))
        for item in stored_values(value)
    )


async def every_row(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as a backup holds them."""
    metadata = MetaData()
    rows: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            result = await connection.execute(select(table))
            rows[table.name] = [dict(row) for row in result.mappings()]
    return rows


def dump_lines(engine: AsyncEngine, rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The database as text: SQLite's own dump of the file; PostgreSQL's rows, one a line."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(make_url(url).database))
        try:
            return list(connection.iterdump())
        finally:
            connection.close()
    return [
        f"{name}: {json.dumps(row, default=str, ensure_ascii=False)}"
        for name, table_rows in rows.items()
        for row in table_rows
    ]


def about(table: str, row: dict[str, Any], case_id: int, number: str) -> bool:
    """Whether a row is about the case: the case itself, a row of it, or one naming it."""
    if table == "cases":
        return bool(row["id"] == case_id)
    if row.get("case_id") == case_id:
        return True
    return any(isinstance(item, str) and number in item for item in stored_values(row))


@pytest.fixture(params=["memory", "redis"])
async def fsm_redis(request: pytest.FixtureRequest) -> str | None:
    """Conversation state in this process, or in Redis."""
    return await redis_url(FSM_DB) if request.param == "redis" else None


@pytest.fixture
async def redis_harness(
    emulator: BotAPIEmulator, database_url: str, fsm_redis: str | None
) -> AsyncIterator[OfficerHarness]:
    """The harness, with its conversations in Redis when `fsm_redis` says so (one test of the
    module only: another running beside it would empty the database under it)."""
    overrides = {"redis_url": fsm_redis} if fsm_redis else {}
    async with proposal_harness(emulator, database_url, **overrides) as h:
        yield h


async def anonymous_story(h: Harness) -> tuple[Talk, str, str]:
    """The student's anonymous case from submission to rating, and a named one beside it.
    Ends waiting for the rating's comment: the conversation state holds the case."""
    user = h.emu.add_user(PERSON, FIRST, USERNAME, "zh-hans", last_name=LAST)
    me = Talk(h, user)
    await me.send("/start")
    await me.press(0)
    await me.press("中文")
    await me.press("临床医学院")

    named = await h.submit(user, NAMED_TEXT)
    number = await h.submit(user, ANONYMOUS_TEXT, category="骚扰与歧视", anonymous=True)
    await me.press("补充信息", me.message_with(f"编号为 {number}"))
    await me.send("上周五和本周一的班会都有。")
    await officer_press(h, number, "受理")
    await officer_reply(h, number, REPLY)
    await me.send("本周一下午的年级大会。", reply_to=me.message_with(REPLY))
    await answer(h, number)
    rated = await me.press("满意", me.message_with("的答复"))
    assert f"感谢您的评价，反馈 {number} 已办结。" in rated.text
    return me, number, named


async def test_a_dump_of_the_database_does_not_say_who_wrote_an_anonymous_case(
    redis_harness: OfficerHarness, fsm_redis: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    h = redis_harness
    assert h.app is not None
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(logctx.ContextFilter())  # the update's cases, as our lines carry
    me, number, named = await anonymous_story(h)
    # Nor does a log line put the student beside the case.
    logged = [f"{record.getMessage()} {getattr(record, 'cases', '')}" for record in caplog.records]
    assert any(number in line for line in logged)
    assert [line for line in logged if number in line and names_the_student(line)] == []
    case, named_case = await case_of(h, number), await case_of(h, named)
    assert case.id is not None and case.submitter_id is None and case.author_sealed
    assert named_case.submitter_id == PERSON  # a named case names its author

    rows = await every_row(h.app.engine)
    # The scan finds the student where they are: it looks in the right places.
    assert any(names_the_student(row) for row in rows["users"])
    assert any(
        holds_the_id(row)
        for table in ("cases", "case_events", "outbox")
        for row in rows[table]
        if about(table, row, named_case.id or 0, named)
    )
    leaks = [
        f"{table}: {row!r:.200}"
        for table, table_rows in rows.items()
        for row in table_rows
        if about(table, row, case.id, number) and names_the_student(row)
    ]
    assert leaks == []
    for table in ("cases", "case_events", "message_links", "outbox", "case_followers"):
        assert not [r for r in rows[table] if about(table, r, case.id, number) and holds_the_id(r)]
    assert any(about("message_links", r, case.id, number) for r in rows["message_links"])
    assert any(about("outbox", r, case.id, number) for r in rows["outbox"])
    dumped = dump_lines(h.app.engine, rows)
    assert any(number in line for line in dumped)
    assert [line for line in dumped if number in line and names_the_student(line)] == []

    if fsm_redis:
        stored = await redis_values(fsm_redis)
        # The state waiting for the rating's comment is the student's, and holds the case.
        assert any(holds_the_id(key) for key in stored)
        for key, value in stored.items():
            assert number not in value and ANONYMOUS_TEXT not in value, (key, value)
            assert "case_id" not in value, (key, value)

    # The conversation state did hold the case: the comment reaches it. The student heard
    # everything, and finds the case among theirs.
    assert (await me.send("很及时，谢谢。")).texts == ["您的意见已转达，谢谢！"]
    assert (await case_of(h, number)).rating_comment == "很及时，谢谢。"
    heard = "\n".join(me.saw())
    assert f"编号为 {number}" in heard and REPLY in heard and "的答复" in heard
    listing = (await me.send("/my")).text
    assert number in listing and named in listing


async def redis_values(url: str) -> dict[str, str]:
    client = Redis.from_url(url)
    try:
        found: dict[str, str] = {}
        async for key in client.scan_iter():
            if (await client.type(key)).decode() == "string":
                value = await client.get(key)
                found[key.decode()] = (value or b"").decode()
        return found
    finally:
        await client.aclose()


async def test_a_named_case_is_stored_as_before(harness: OfficerHarness) -> None:
    h = harness
    user = h.emu.add_user(PERSON, FIRST, USERNAME, "zh-hans", last_name=LAST)
    await h.onboard(user, college="临床医学院", language="中文")
    number = await h.submit(user, NAMED_TEXT)
    await officer_text(h, number, "需补充", "请说明是哪一间自习室。")
    case = await case_of(h, number)
    assert (case.submitter_id, case.author_sealed, case.author_tag) == (PERSON, None, None)


async def test_deleteme_takes_the_sealed_traces_too(harness: OfficerHarness) -> None:
    """The seal, its tag, the sealed outbox rows and the links under stand-ins are the
    student's too: with the key they would name them."""
    h = harness
    assert h.app is not None
    seal = h.app.services.sealer
    user = h.emu.add_user(PERSON, FIRST, USERNAME, "zh-hans", last_name=LAST)
    me = Talk(h, user)
    await h.onboard(user, college="临床医学院", language="中文")
    number = await h.submit(user, ANONYMOUS_TEXT, category="骚扰与歧视", anonymous=True)
    await officer_reply(h, number, REPLY)

    def traces(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
        return (
            [
                f"outbox #{row['id']}"
                for row in rows["outbox"]
                if row["chat_sealed"] and seal.open(row["chat_sealed"]) == PERSON
            ]
            + [
                f"link {row['message_id']}"
                for row in rows["message_links"]
                if row["chat_id"] in seal.pseudonyms(PERSON)
            ]
            + [
                f"case {row['number']}"
                for row in rows["cases"]
                if row["author_sealed"] or row["author_tag"]
            ]
        )

    assert len(traces(await every_row(h.app.engine))) >= 3
    await me.send("/deleteme")
    assert "您的数据已删除" in (await me.press("删除我的数据")).text
    await h.settle()
    assert traces(await every_row(h.app.engine)) == []

"""What a reveal request is refused for: a group chat (where nothing about the case is said), a
person who is not an admin, a case that is not anonymous, a second request while one waits, a
reason too short, no second admin. And /audit, for admins in private only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devkit.emulator import BotAPIEmulator
from tests.support.harness import ADMIN_ID
from tests.support.officer_helpers import received, say
from tests.support.reveal_helpers import (
    APPROVE,
    REASON,
    World,
    audit,
    request_message,
    requests,
    reveal_world,
    say_private,
    texts,
)


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[World]:
    async with reveal_world(emulator, database_url) as w:
        yield w


async def test_in_a_group_the_command_is_refused_without_a_word_about_the_case(
    world: World,
) -> None:
    h = world.h
    before = len(received(h, h.group))
    await say(h, f"/reveal {world.number} {REASON}", who=world.asker)
    (reply,) = received(h, h.group)[before:]
    assert "私聊" in reply
    assert world.number not in reply and REASON not in reply
    assert await requests(h) == []
    assert not any("赵主席" in t or world.number in t for t in texts(h, world.second))
    await say(h, "/audit", who=world.asker)
    assert "私聊" in received(h, h.group)[-1] and await audit(h) == []


async def test_an_officer_who_is_not_an_admin_cannot_ask_or_read_the_audit(world: World) -> None:
    h = world.h
    assert h.officer is not None
    await say_private(h, h.officer, f"/reveal {world.number} {REASON}")
    assert "没有执行此操作的权限" in texts(h, h.officer)[-1]
    before = len(texts(h, h.officer))
    await say_private(h, h.officer, "/audit")
    (answer,) = texts(h, h.officer)[before:]
    assert "没有执行此操作的权限" in answer
    assert await requests(h) == []


async def test_usage_short_reason_unknown_and_named_cases_are_refused(world: World) -> None:
    h, asker = world.h, world.asker
    await say_private(h, asker, "/reveal")
    assert "/reveal G2026-0042" in texts(h, asker)[-1] and "15" in texts(h, asker)[-1]
    await say_private(h, asker, f"/reveal {world.number} 很紧急")
    assert "理由太短" in texts(h, asker)[-1]
    await say_private(h, asker, f"/reveal G2020-9999 {REASON}")
    assert "没有该编号" in texts(h, asker)[-1]
    named = await h.submit(world.student, anonymous=False)
    await say_private(h, asker, f"/reveal {named} {REASON}")
    assert "不是匿名" in texts(h, asker)[-1]
    assert await requests(h) == []
    assert not any(REASON in t for t in texts(h, world.second))


async def test_one_open_request_per_case(world: World) -> None:
    h = world.h
    await say_private(h, world.asker, f"/reveal {world.number} {REASON}")
    await say_private(h, world.third, f"/reveal {world.number} 另一位管理员也认为情况十分紧急。")
    assert "正在等待" in texts(h, world.third)[-1]
    assert len(await requests(h)) == 1
    # The third admin, who asked nothing, may still approve the first admin's request.
    await world.third.press(request_message(h, world.third), APPROVE)
    await h.settle()
    assert [r.status for r in await requests(h)] == ["approved"]


async def test_the_audit_lists_the_latest_entries_for_an_admin(world: World) -> None:
    h = world.h
    await say_private(h, world.asker, "/audit")
    # The harness made the officer (by id: the bot has not met them) an officer: the only entry.
    assert "已授予角色: officer · 9002" in texts(h, world.asker)[-1]
    await say_private(h, world.asker, f"/reveal {world.number} {REASON}")
    await world.second.press(request_message(h, world.second), APPROVE)
    await h.settle()
    await say_private(h, world.third, "/audit")
    shown = texts(h, world.third)[-1]
    assert world.number in shown and "已披露提交人身份" in shown and "申请披露身份" in shown
    assert "赵主席" in shown and "管理员" in shown and REASON in shown
    assert str(world.student.id) not in shown and "Wenjing" not in shown


async def test_a_lone_admin_cannot_start_a_reveal(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with reveal_world(emulator, database_url, admins=(ADMIN_ID,)) as w:
        await say_private(w.h, w.asker, f"/reveal {w.number} {REASON}")
        assert "两位不同的管理员" in texts(w.h, w.asker)[-1]
        assert await requests(w.h) == []

"""Telegram's refusals, each handled as it means: wait, retry a little, give up and say so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as cli
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy, RandomFaults
from storage.models import ChatBinding
from tests.support.delivery_helpers import (
    delivered,
    eventually,
    limits,
    queue,
    statuses,
    strict,
    texts,
)
from tests.support.harness import ADMIN_ID, OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    advance,
    card,
    freeze_clock,
    officer_harness,
    outbox,
    say,
    seed_case,
    seed_student,
    user_row,
)

NEW_CHAT = -1002000000009


async def test_a_429_holds_only_its_chat_for_retry_after(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    alice, bob = await seed_student(h, 1001, "Alice"), await seed_student(h, 1002, "Bob")
    clock = freeze_clock(h)
    h.emu.policy = FaultPolicy().fail(
        "sendMessage",
        chat_id=alice.id,
        code=429,
        description="Too Many Requests: retry after 30",
        parameters={"retry_after": 30},
    )
    await queue(h.app, texts(alice.id, ["一", "二"]) + texts(bob.id, ["你好"]))
    await h.settle()
    assert delivered(h.emu, bob.id) == ["你好"]  # Bob's chat is not held up by Alice's
    assert delivered(h.emu, alice.id) == []

    await queue(h.app, texts(alice.id, ["三"]))  # queued later: still behind the wait
    advance(clock, seconds=29)
    await h.settle()
    attempts = [r for r in h.emu.requests if r.chat_id == alice.id and r.method == "sendMessage"]
    assert len(attempts) == 1  # nothing more was tried while told to wait

    advance(clock, seconds=1)
    await h.settle()
    assert delivered(h.emu, alice.id) == ["一", "二", "三"]


async def test_the_bot_slows_down_for_a_stricter_telegram(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    """Configured for bursts of 2 to one chat, talking to a Telegram that takes one at a
    time: after a 429 or two the bot keeps to Telegram's pace, never sends while told to wait,
    loses nothing."""
    theirs = limits(4) | {"delivery_chat_burst": 1}
    ours = limits(10) | {"delivery_chat_burst": 2}
    async with officer_harness(emulator, f"sqlite+aiosqlite:///{tmp_path}/x.db", **ours) as h:
        assert h.app is not None
        alice = await seed_student(h, 1001, "Alice")
        emulator.policy = policy = strict(theirs)
        bodies = [f"第{n}条" for n in range(6)]
        await queue(h.app, texts(alice.id, bodies))
        await eventually(lambda: len(delivered(h.emu, alice.id)) == 6, what="all six")

        assert delivered(h.emu, alice.id) == bodies
        assert policy.hammered == 0
        assert 1 <= len(policy.rejected) <= 4  # it learned; it did not keep trying its own pace


async def test_timeouts_and_server_errors_are_retried_until_through(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    """Fault mode: one call in ten a 5xx, one in twenty held past the bot's timeout. Every
    message still arrives exactly once (a held call was never carried out), none fails."""
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    # A timeout well above a loaded machine's slowest answer: a call that times out after the
    # server carried it out arrives twice (as with Telegram), which is not what this is about.
    async with officer_harness(emulator, url, delivery_request_timeout=3) as h:
        assert h.app is not None
        students = [await seed_student(h, 2000 + n, f"S{n}") for n in range(20)]
        faults = RandomFaults(server_errors=0.1, timeouts=0.05, hang=4, seed=5)
        emulator.policy = faults
        await queue(h.app, [row for s in students for row in texts(s.id, ["甲", "乙"])])
        await eventually(lambda: _settled(h), within=60, what="every row sent")

        assert {code for _, code in faults.injected} >= {504}
        for s in students:
            assert delivered(h.emu, s.id) == ["甲", "乙"]
        assert await statuses(h.app) == {"sent": len(await outbox(h))}
        assert [r for r in await outbox(h) if r.attempts]  # some went more than once


async def _settled(h: Harness) -> bool:
    assert h.app is not None
    return set((await statuses(h.app)).keys()) == {"sent"}


async def test_a_blocked_user_is_marked_and_not_written_to_again(harness: Harness) -> None:
    h = harness
    assert h.app is not None and h.admin is not None
    alice = await seed_student(h, 1001, "Alice")
    h.emu.policy = FaultPolicy().fail(
        "sendMessage",
        chat_id=alice.id,
        code=403,
        description="Forbidden: bot was blocked by the user",
    )
    await queue(h.app, texts(alice.id, ["一", "二", "三"]))
    await h.settle()

    sends = [r for r in h.emu.requests if r.chat_id == alice.id and r.method == "sendMessage"]
    assert len(sends) == 1  # the first answer was enough
    assert (await user_row(h, alice.id)).unreachable_at is not None  # type: ignore[union-attr]
    assert [r.status for r in await outbox(h, recipient_user_id=alice.id)] == ["failed"] * 3

    # Admins see it, and once she writes to the bot again, sending it again works.
    await say(h, "/failed", who=h.admin)
    listing = h.last(h.group)
    assert "bot was blocked by the user" in (listing.text or "")
    await alice.send("/my")
    await h.settle()
    await h.admin.press(h.last(h.group), "全部重试")
    await h.settle()
    assert delivered(h.emu, alice.id)[-3:] == ["一", "二", "三"]


def upgraded_to_supergroup(method: str) -> FaultPolicy:
    """The next `method` call to the officers' chat is told the chat is now NEW_CHAT."""
    return FaultPolicy().fail(
        method,
        chat_id=OFFICERS_CHAT,
        code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": NEW_CHAT},
    )


async def test_a_group_upgraded_to_a_supergroup_is_followed(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url) as h:
        assert h.app is not None
        new = emulator.add_group(NEW_CHAT, "权益部工作群")
        new.add_member(h.officer or ADMIN_ID)
        emulator.policy = upgraded_to_supergroup("sendMessage")
        await queue(h.app, texts(OFFICERS_CHAT, ["提醒：今日有 1 件到期"]))
        number = await seed_case(h, await seed_student(h, 1001, "Alice"))

        assert card(h, number).chat_id == NEW_CHAT
        assert "提醒：今日有 1 件到期" in delivered(h.emu, NEW_CHAT)
        async with h.app.session_factory() as session:
            binding = await session.get(ChatBinding, "officers")
        assert binding is not None and binding.chat_id == NEW_CHAT

    # A restart with the old id still in the settings follows Telegram, not the setting.
    emulator.policy = upgraded_to_supergroup("getChat")
    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        assert h.app is not None
        async with h.app.session_factory() as session:
            binding = await session.get(ChatBinding, "officers")
        assert binding is not None and binding.chat_id == NEW_CHAT


async def test_failed_messages_are_listed_and_sent_again_from_the_command_line(
    harness: Harness, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = harness
    assert h.app is not None
    alice = await seed_student(h, 1001, "Alice")
    h.emu.policy = FaultPolicy().fail(
        "sendMessage", chat_id=alice.id, code=400, description="Bad Request: chat not found"
    )
    await queue(h.app, texts(alice.id, ["一"]))
    await h.settle()
    (row,) = await outbox(h, recipient_user_id=alice.id)
    assert row.status == "failed"

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(h.app.settings.organisation_file.parent)  # no .env of the project here
    assert await asyncio.to_thread(cli, ["outbox", "failed"]) == 0
    listing = capsys.readouterr().out
    assert f"#{row.id}" in listing and "chat not found" in listing
    assert await asyncio.to_thread(cli, ["outbox", "retry", str(row.id)]) == 0
    h.app.worker.wake()
    await h.settle()
    assert delivered(h.emu, alice.id) == ["一"]

"""The fault matrix: each step of the main stories with each of its Bot API calls failing once
(and its commit failing once). Afterwards the step took effect exactly once and everyone
concerned was told so exactly once: nothing told before it was true, nothing lost, nothing
told twice.

`CALLS` is what each step says to Telegram, per chat, in order; the first test checks it
against the bot, so the matrix breaks every call there is. A call is named by its method, the
role of its chat and its rank among the step's calls of that method to that chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.devkit.emulator import BotAPIEmulator, RecordedRequest
from storage.crud.outbox import LISTED, SENT
from storage.models import InboxUpdate
from tests.conftest import IN_CI
from tests.support.fault_helpers import HOLD, Faulty, faulty_harness
from tests.support.fault_steps import STEPS, Story, role_of
from tests.support.officer_helpers import ACCEPT, card, count, outbox

CALLS: dict[str, dict[str, list[str]]] = {
    "submit": {
        "student": ["answerCallbackQuery", "sendMessage", "editMessageReplyMarkup"],
        "officers": ["sendMessage"],
    },
    "add_info": {
        "student": ["sendMessage"],
        "officers": ["editMessageText", "sendMessage"],
    },
    "accept": {
        "student": ["sendMessage"],
        "officers": ["answerCallbackQuery", "editMessageText"],
    },
    "forward": {
        "student": ["sendMessage"],
        # The thread's note that the department has no liaison to tell.
        "officers": [
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "answerCallbackQuery",
            "editMessageText",
            "sendMessage",
        ],
    },
    "answer": {
        "student": ["sendMessage"],
        "officers": [
            "sendMessage",
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "editMessageText",
            "sendMessage",
        ],
    },
    "rate": {
        "student": ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"],
        "officers": ["editMessageText", "sendMessage"],
    },
    "reopen": {
        "student": ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"],
        "officers": ["editMessageText", "sendMessage"],
    },
    "cosign": {
        "proposer": ["sendMessage"],
        "cosigner": ["answerCallbackQuery", "sendMessage", "editMessageReplyMarkup", "sendMessage"],
        "officers": ["sendMessage"],
    },
}
# How many updates each step is made of: each one's commit is made to fail in turn.
UPDATES = {"forward": 2, "answer": 2}

Call = tuple[str, str, str, int]  # step, role, method, rank (from 1)


def calls() -> list[Call]:
    found = []
    for step, roles in CALLS.items():
        for role, methods in roles.items():
            for index, method in enumerate(methods):
                found.append((step, role, method, methods[: index + 1].count(method)))
    return found


def call_id(call: Call) -> str:
    step, role, method, rank = call
    return f"{step}-{method}@{role}#{rank}"


# A few calls also time out (the bot gives up waiting; the call was never carried out).
TIMEOUTS: list[Call] = [
    ("submit", "student", "sendMessage", 1),
    ("submit", "officers", "sendMessage", 1),
    ("accept", "officers", "answerCallbackQuery", 1),
    ("answer", "officers", "editMessageText", 1),
    ("answer", "student", "sendMessage", 1),
]
# Each update of a step in turn has its commit fail.
COMMITS = [(step, nth) for step in CALLS for nth in range(1, UPDATES.get(step, 1) + 1)]
# The steps whose every call also fails on PostgreSQL (all of them there would take minutes).
REPRESENTATIVE = ("submit", "answer")
ON_POSTGRES = [call for call in calls() if call[0] in REPRESENTATIVE]


def commit_id(value: object) -> str:
    return str(value)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def world(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Faulty]:
    async with faulty_harness(emulator, sqlite_url) as faulty:
        yield faulty


@pytest.fixture
async def postgres_world(
    emulator: BotAPIEmulator, postgres_url: str | None
) -> AsyncIterator[Faulty]:
    if postgres_url is None:
        if IN_CI:
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("TEST_DATABASE_URL not set")
    async with faulty_harness(emulator, postgres_url) as faulty:
        yield faulty


async def prepared(world: Faulty, step: str) -> tuple[Story, int]:
    story = await STEPS[step].prepare(world.h)
    return story, len(world.h.emu.requests)


async def performed(world: Faulty, step: str, story: Story, mark: int) -> None:
    """The step, until everything it queued was delivered; then what it should have done,
    once, and said, once."""
    h = world.h
    await STEPS[step].perform(story)
    await h.driver.settle_all()
    await STEPS[step].verify(story)
    # What went through is what the step says without faults: nothing lost, nothing twice.
    delivered = said(story, h.emu.requests[mark:])
    assert {role: sorted(methods) for role, methods in delivered.items()} == {
        role: sorted(methods) for role, methods in CALLS[step].items()
    }
    for chat in story.chats.values():
        new = [m.content for m in h.emu.bot_messages(chat) if m.created_mark >= mark]
        assert len(new) == len(set(new)), f"a message came twice in {chat}: {new!r}"
    rows = await outbox(h)
    assert {row.status for row in rows} <= {SENT, LISTED}, [
        (row.method, row.status, row.last_error) for row in rows
    ]
    assert await count(h, InboxUpdate) == 0  # every update had its effect


def said(story: Story, requests: list[RecordedRequest], *, ok: bool = True) -> dict[str, list[str]]:
    """The methods called per chat role, in order (only those that went through, by default)."""
    by_role: dict[str, list[str]] = {}
    for request in requests:
        if request.method == "getUpdates" or (ok and not request.ok):
            continue
        by_role.setdefault(role_of(story, request.chat_id), []).append(request.method)
    return by_role


async def fail_once(world: Faulty, call: Call, fault: str) -> None:
    step, role, method, rank = call
    story, mark = await prepared(world, step)
    # A callback's answer names no chat: its rank is among all of them (one presser a step).
    chat = None if method == "answerCallbackQuery" else story.chats[role]
    if fault == "timeout":
        world.faults.timeout(method, nth=rank, chat_id=chat, hold=HOLD)
    else:
        world.faults.fail(method, nth=rank, chat_id=chat, code=int(fault))
    await performed(world, step, story, mark)
    code = 504 if fault == "timeout" else int(fault)
    assert world.faults.injected == [(method, code)]


async def commit_fails_once(world: Faulty, step: str, nth: int) -> None:
    story, mark = await prepared(world, step)
    world.commits.fail(nth)
    await performed(world, step, story, mark)
    assert world.commits.failed == 1


@pytest.mark.parametrize("step", list(STEPS))
async def test_what_each_step_says_to_telegram(world: Faulty, step: str) -> None:
    story, mark = await prepared(world, step)
    commits = world.commits.seen
    await performed(world, step, story, mark)
    assert said(story, world.h.emu.requests[mark:], ok=False) == CALLS[step]
    assert world.commits.seen - commits == UPDATES.get(step, 1)


@pytest.mark.parametrize("call", calls(), ids=call_id)
async def test_a_call_failing_once(world: Faulty, call: Call) -> None:
    await fail_once(world, call, "500")


@pytest.mark.parametrize("call", TIMEOUTS, ids=call_id)
async def test_a_call_timing_out_once(world: Faulty, call: Call) -> None:
    """The bot gives up waiting; the call was never carried out: it is made again."""
    await fail_once(world, call, "timeout")


@pytest.mark.parametrize(("step", "nth"), COMMITS, ids=commit_id)
async def test_the_commit_failing_once(world: Faulty, step: str, nth: int) -> None:
    await commit_fails_once(world, step, nth)


@pytest.mark.parametrize("call", ON_POSTGRES, ids=call_id)
async def test_a_call_failing_once_on_postgres(postgres_world: Faulty, call: Call) -> None:
    await fail_once(postgres_world, call, "502")


@pytest.mark.parametrize(
    ("step", "nth"), [c for c in COMMITS if c[0] in REPRESENTATIVE], ids=commit_id
)
async def test_the_commit_failing_once_on_postgres(
    postgres_world: Faulty, step: str, nth: int
) -> None:
    await commit_fails_once(postgres_world, step, nth)


async def test_settle_all_moves_the_clock_until_delivered_or_says_what_is_stuck(
    world: Faulty,
) -> None:
    h = world.h
    story, _ = await prepared(world, "accept")
    world.faults.fail("sendMessage", chat_id=story.chats["student"], code=500, times=1000)
    assert h.officer is not None and h.app is not None
    story.queries.append(await h.officer.press(card(h, story.number), ACCEPT))
    with pytest.raises(RuntimeError, match=r"pending after 3 rounds: 1 sendMessage \(Internal"):
        await h.driver.settle_all(rounds=3)
    assert h.driver.shift > timedelta(seconds=1)  # the retries' backoff, on the app's clock

    world.faults.clear()  # Telegram is back: the next retry goes through
    await h.driver.settle_all()
    await STEPS["accept"].verify(story)

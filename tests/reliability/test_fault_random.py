"""A dozen students submit at once while 30 % of the bot's calls to Telegram fail at random:
once everything is delivered, each was told of their case exactly once, and each case told
about exists exactly once — no case nobody was told about, no confirmation without a case."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.casework import authors
from bot.devkit.emulator import BotAPIEmulator, RandomFaults, SimUser
from bot.devkit.scenario import CASE_NUMBER
from storage.crud.outbox import LISTED, SENT
from tests.support.fault_helpers import Faulty, faulty_harness
from tests.support.officer_helpers import outbox, seed_student
from tests.support.student_helpers import DEFAULT_TEXT, db_cases

STUDENTS = 12
CONFIRMATION = "已收到"


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Faulty]:
    async with faulty_harness(emulator, database_url) as faulty:
        yield faulty


async def walk_together(world: Faulty, students: list[SimUser]) -> None:
    """Each move of the /new dialogue made by every student before the bot settles."""
    h = world.h

    async def everyone(button: Callable[[int], str | int]) -> None:
        for number, student in enumerate(students):
            await student.press(h.last(student), button(number))
        await h.settle()

    for student in students:
        await student.send("/new")
    await h.settle()
    await everyone(lambda _: "权益诉求")
    await everyone(lambda _: "后勤餐饮")
    for number, student in enumerate(students):
        await student.send(f"{DEFAULT_TEXT}（第{number + 1}位同学）")
    await h.settle()
    await everyone(lambda _: 0)  # no attachments
    await everyone(lambda number: 1 if number % 3 == 0 else 0)  # every third one anonymous
    await everyone(lambda _: 0)  # 提交


@pytest.mark.parametrize("seed", [1, 2])
async def test_submissions_under_random_faults_are_told_exactly_once(
    world: Faulty, seed: int
) -> None:
    h = world.h
    students = [await seed_student(h, 2001 + n, f"同学{n + 1}") for n in range(STUDENTS)]
    faults = RandomFaults(server_errors=0.3, seed=seed, applies=lambda m: m != "getUpdates")
    h.emu.policy = faults

    await walk_together(world, students)
    await h.driver.settle_all()

    cases = await db_cases(h)
    assert h.app is not None
    seal = h.app.services.sealer  # every third case is anonymous: its author sealed
    told = {
        student.id: [m.content for m in h.emu.bot_messages(student.id) if CONFIRMATION in m.content]
        for student in students
    }
    for student in students:
        mine = [c.number for c in cases if authors.is_author(c, student.id, seal)]
        confirmations = told[student.id]
        assert len(mine) == 1, f"{student.id} has cases {mine}"
        assert len(confirmations) == 1, f"{student.id} was told {confirmations}"
        found = CASE_NUMBER.search(confirmations[0])
        assert found is not None and found.group(0) == mine[0]
    assert len(cases) == STUDENTS
    cards = [m.content for m in h.emu.bot_messages(h.group.id) if "状态: " in m.content]
    assert sorted(CASE_NUMBER.findall("\n".join(c.split("\n", 1)[0] for c in cards))) == sorted(
        c.number for c in cases
    )
    assert {row.status for row in await outbox(h)} <= {SENT, LISTED}
    assert len(faults.injected) >= 20  # the faults were many, not a token few

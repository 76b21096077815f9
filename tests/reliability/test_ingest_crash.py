"""The real bot process killed (or stopped) in the middle of a burst, then started again: every
update Telegram was told it may forget had its effect exactly once, and so did the whole burst.

20 students with open cases each add information 5 times (100 updates, each with a token of
its own that becomes exactly one case event). The test acts as Telegram and the people; the bot
runs `studentvoice run` (long polling, inbox, processor, delivery worker) in a subprocess.

Why these sizes and moments (each run costs two cold starts of the bot, ~3 s of CPU each for
aiogram's types alone, so the number of runs is what the time is made of): a burst needs one
round fetched and acknowledged before the stop (the first round is confirmed by the offset of
the second fetch), a round in flight at the stop, and rounds sent while the bot is down; 5
rounds give all three with room to spare. The moments are chosen, not drawn: where they fall
decides which phase the bot is in, and three fixed ones name the phases instead of hoping 5
random seeds hit them:
- "fetched": just after a round was fetched, no pause: the handlers are inside their
  transactions and the delivery worker has nothing yet; updates sit in the inbox unhandled.
- "mid-round": half a round into the fourth round after a short pause: some updates of the
  round are fetched and handled, the rest still with Telegram, replies being delivered.
- "late": the fourth round fetched and the longest pause on: most of it handled, the bot busy
  delivering the officers' notes (the outbox half sent) when it dies; the last round is sent
  while it is down.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from tests.support.harness import OFFICERS_CHAT
from tests.support.ingest_helpers import (
    Ledger,
    Submitter,
    bot_process,
    database,
    ended,
    ledger,
    seed_cases,
)

STUDENTS, ROUNDS = 20, 5
START_LIMIT = 90.0  # a bound for a cold interpreter on a busy 2-core machine
# How long the bot may go without any progress before it counts as stuck: a bound on being
# stuck, not on being slow, so a busy machine only makes the test longer.
STUCK_LIMIT = 90.0


@dataclass(frozen=True)
class Moment:
    """When the bot is stopped: after the `after`-th update of the burst, `pause` seconds on."""

    name: str
    after: int
    pause: float


MOMENTS = {
    m.name: m
    for m in (
        Moment("fetched", 3 * STUDENTS, 0.0),
        Moment("mid-round", 3 * STUDENTS + STUDENTS // 2, 0.1),
        Moment("late", (ROUNDS - 1) * STUDENTS, 0.3),
    )
}


@dataclass
class Burst:
    emu: BotAPIEmulator
    submitters: list[Submitter]
    label: str
    sent: dict[str, int] = field(default_factory=dict)  # token → update id

    def plan(self) -> list[tuple[Submitter, str]]:
        return [
            (who, f"{self.label}-{n}-{r}")
            for r in range(ROUNDS)
            for n, who in enumerate(self.submitters)
        ]

    async def send(self, who: Submitter, token: str) -> None:
        self.sent[token] = await who.add_info(token)

    async def fetched(self, alive: subprocess.Popen[bytes]) -> None:
        """Until the bot has taken what was sent so far (people keep writing meanwhile)."""
        queue = self.emu.world.updates
        deadline, left = time.monotonic() + STUCK_LIMIT, queue.undelivered_count
        while queue.undelivered_count and alive.poll() is None:
            if queue.undelivered_count < left:
                deadline, left = time.monotonic() + STUCK_LIMIT, queue.undelivered_count
            assert time.monotonic() < deadline, "the bot stopped fetching updates"
            await asyncio.sleep(0.005)

    @property
    def acknowledged(self) -> set[int]:
        return self.emu.world.updates.confirmed & set(self.sent.values())


async def until_done(burst: Burst, database_url: str, process: subprocess.Popen[bytes]) -> Ledger:
    """Until every token of the burst is stored, nothing waits in the inbox or with Telegram,
    and everything the bot said was sent."""
    deadline, seen = time.monotonic() + STUCK_LIMIT, None
    queue = burst.emu.world.updates
    async with database(database_url) as engine:
        while True:
            assert process.poll() is None, "the restarted bot died"
            state = await ledger(engine)
            if state != seen:
                deadline, seen = time.monotonic() + STUCK_LIMIT, state
            if state.done(burst.sent, queue.pending_count):
                return state
            assert time.monotonic() < deadline, f"not done: {state}"
            await asyncio.sleep(0.25)


def assert_exactly_once(burst: Burst, state: Ledger, acknowledged: set[int]) -> None:
    ids = {update_id: token for token, update_id in burst.sent.items()}
    assert acknowledged <= set(ids)
    assert {state.tokens[ids[update_id]] for update_id in acknowledged} <= {1}
    assert set(state.tokens) == set(burst.sent)
    assert set(state.tokens.values()) == {1}, "every update took effect exactly once"
    assert set(ids) <= state.processed
    notes = " ".join(m.content for m in burst.emu.bot_messages(OFFICERS_CHAT))
    assert [token for token in burst.sent if token not in notes] == []


async def interrupted_burst(
    database_url: str, tmp_path: Path, *, moment: Moment, stop: signal.Signals
) -> tuple[Burst, set[int], int | None]:
    """Runs the bot, sends the burst, `stop`s the bot at `moment`, sends the rest while it is
    down, restarts it and waits until it is done. Returns the burst, what was acknowledged
    when it stopped, and the exit code of the stopped process."""
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu:
        submitters = await seed_cases(emu, database_url, STUDENTS)
        burst = Burst(emu, submitters, moment.name)
        plan = burst.plan()
        # Into the third round at least: the second was fetched, so the first acknowledged.
        assert 2 * STUDENTS < moment.after < len(plan)
        if stop is signal.SIGTERM:
            # The probes at start-up fail; the bot starts all the same.
            emu.policy = (
                FaultPolicy()
                .fail("getChat", code=502, page="<html><h1>502 Bad Gateway</h1></html>")
                .fail("setMyCommands", code=500, description="Internal Server Error")
            )
        first = bot_process(emu, database_url, tmp_path, log)
        code: int | None = None
        acknowledged: set[int] = set()
        try:
            await emu.wait_for_poller(timeout=START_LIMIT)
            for n, (who, token) in enumerate(plan, start=1):
                await burst.send(who, token)
                if n % STUDENTS == 0 and first.poll() is None:
                    await burst.fetched(first)
                if n == moment.after:
                    await asyncio.sleep(moment.pause)  # the moment: chosen, not waited for
                    first.send_signal(stop)
                    code = await ended(first, 30)
                    acknowledged = burst.acknowledged
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        async with database(database_url) as engine:
            durable = await ledger(engine)
        # What Telegram may forget is in the database: handled, or waiting to be.
        assert acknowledged <= durable.processed | durable.waiting, log.read_text()

        second = bot_process(emu, database_url, tmp_path, log)
        try:
            state = await until_done(burst, database_url, second)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await ended(second, 30) == 0, log.read_text()
        assert_exactly_once(burst, state, acknowledged)
        return burst, acknowledged, code


# Two cold starts and a burst: long on a busy machine; each wait above bounds being stuck.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("moment", list(MOMENTS))
async def test_killed_during_a_burst_nothing_acknowledged_is_lost(
    database_url: str, tmp_path: Path, moment: str
) -> None:
    _, acknowledged, code = await interrupted_burst(
        database_url, tmp_path, moment=MOMENTS[moment], stop=signal.SIGKILL
    )
    assert code == -signal.SIGKILL
    assert len(acknowledged) >= STUDENTS


@pytest.mark.timeout(600)
async def test_stopped_during_a_burst_exits_cleanly_and_loses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """SIGTERM mid-burst: the bot stops taking updates, finishes what it is handling and exits
    0; after a restart the rest is handled, each update once. Its start-up probes failed (the
    officers' chat unreadable through a 502, the command menu refused): logged, not fatal."""
    _, acknowledged, code = await interrupted_burst(
        database_url, tmp_path, moment=MOMENTS["mid-round"], stop=signal.SIGTERM
    )
    assert code == 0
    log = (tmp_path / "bot.log").read_text()
    assert "Traceback" not in log
    assert log.count("studentvoice 0.1.0 started") == 2
    assert log.count("studentvoice stopped") == 2
    assert len(acknowledged) >= STUDENTS

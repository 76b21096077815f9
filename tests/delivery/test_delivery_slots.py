"""A lane builds its request only once the limits let it go: an interactive row queued behind
a broadcast is built and sent first, and a broadcast's rows waiting for the window cost nothing
meanwhile. Driven by the limiter's own clock and by slots handed back, never by waiting."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.delivery.documents import Documents
from bot.delivery.gate import Pacer
from bot.delivery.kinds import Context, Target
from bot.delivery.lanes import ChatLane, Job
from bot.delivery.ledger import Ledger
from bot.delivery.limiter import GLOBAL, Grant, Limits, MemoryLimiter, Rate
from bot.delivery.notify import BULK, INTERACTIVE
from bot.delivery.sending import Probe, Sender
from bot.delivery.urgency import Urgency
from storage.models import OutboxMessage
from storage.types import utcnow

LIMITS = Limits(global_rate=Rate(10, 1.0), chat=Rate(3, 3.0), group=Rate(20, 60.0))


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorded:
    """A kind that notes when each row's request is built, and makes none."""

    links_messages = False

    def __init__(self) -> None:
        self.built: list[int] = []

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.id is not None
        self.built.append(row.id)
        return None


class Written:
    def __init__(self) -> None:
        self.finished: list[int] = []

    def finish(self, row: OutboxMessage, status: str, **_: Any) -> None:
        assert row.id is not None
        self.finished.append(row.id)


def sender_with(limiter: MemoryLimiter, kind: Recorded, ledger: Written) -> Sender:
    context = Context(
        cast(Any, None),
        cast(Any, None),
        cast(Any, None),
        {"send": kind},
        5.0,
        Documents({}, workers=0),
    )
    pacer = Pacer(limiter, utcnow, Urgency())
    return Sender(context, pacer, cast(Ledger, ledger), Probe())


def lane_of(row_id: int, priority: int) -> ChatLane:
    chat = 5000 + row_id
    lane = ChatLane(chat)
    row = OutboxMessage(id=row_id, chat_id=chat, priority=priority, payload={})
    lane.add(Job(row, Target(chat)))
    return lane


async def fill(limiter: MemoryLimiter) -> list[Grant]:
    """Every slot of the global window in flight."""
    grants = []
    while (grant := await limiter.try_acquire((GLOBAL,), app_now=utcnow())).ok:
        grants.append(grant)
    return grants


async def turns(count: int = 20) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_a_broadcast_row_is_not_built_while_the_window_is_full() -> None:
    limiter, kind, ledger = MemoryLimiter(LIMITS, Clock()), Recorded(), Written()
    sender = sender_with(limiter, kind, ledger)
    full = await fill(limiter)
    lane = lane_of(1, BULK)

    sending = asyncio.create_task(sender.next(lane))
    await turns()
    assert kind.built == [] and not sending.done()

    for grant in full[:3]:  # more than the reserve bulk leaves for the urgent
        await limiter.release(grant, used=False)
    await asyncio.wait_for(sending, timeout=5.0)
    assert kind.built == [1] and ledger.finished == [1]
    await sender.pacer.close()


async def test_an_interactive_row_goes_before_broadcast_rows_queued_ahead_of_it() -> None:
    limiter, kind, ledger = MemoryLimiter(LIMITS, Clock()), Recorded(), Written()
    sender = sender_with(limiter, kind, ledger)
    full = await fill(limiter)
    bulk = [lane_of(n, BULK) for n in range(1, 6)]
    sending = [asyncio.create_task(sender.next(lane)) for lane in bulk]
    await turns()
    sending.append(asyncio.create_task(sender.next(lane_of(99, INTERACTIVE))))
    await turns()
    assert kind.built == []

    for grant in full:  # room for all of them at once: the order is the gate's alone
        await limiter.release(grant, used=False)
    await asyncio.wait_for(asyncio.gather(*sending), timeout=5.0)
    assert kind.built[0] == 99
    assert sorted(kind.built) == [1, 2, 3, 4, 5, 99]
    await sender.pacer.close()

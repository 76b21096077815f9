"""A chat's queue inside one worker: its claimed rows in order, and what is being sent now."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from dataclasses import dataclass, field

from bot.delivery.gate import SendContext
from bot.delivery.kinds import Target
from bot.delivery.notify import CARD_PRIORITY
from storage.models import OutboxMessage


@dataclass(eq=False)
class Job:
    row: OutboxMessage
    target: Target
    claimed: float = field(default_factory=time.monotonic)
    # Its mark as interactive work in progress (`Urgency`), ended once it is settled.
    urgency: int | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (self.row.priority, self.row.id or 0)

    @property
    def batchable(self) -> bool:
        """A first card of ordinary priority: may be listed instead (an opened one may not)."""
        return self.target.new_card and self.row.priority >= CARD_PRIORITY


@dataclass(eq=False)
class ChatLane:
    """Rows for one chat go out one at a time, in (priority, id) order."""

    chat_id: int
    jobs: list[Job] = field(default_factory=list)
    current: list[Job] = field(default_factory=list)
    send: SendContext | None = None
    task: asyncio.Task[None] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, job: Job) -> None:
        bisect.insort(self.jobs, job, key=lambda j: j.order)
        self.arrived.set()

    async def arrival(self, within: float) -> None:
        """Until a row is added (since `arrived` was last cleared), or `within` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.arrived.wait(), timeout=max(0.001, within))

    def take(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.jobs.remove(job)

    def same_lane(self, row: OutboxMessage) -> list[Job]:
        """Queued rows that must keep their place behind `row` (same outbox lane)."""
        return [j for j in self.jobs if row.lane is not None and j.row.lane == row.lane]

    def same_card(self, row: OutboxMessage) -> list[Job]:
        """Queued refreshes of the same card: one render covers them all."""
        key = row.coalesce_key
        return [j for j in self.jobs if key is not None and j.row.coalesce_key == key]

    def same_recipient(self, row: OutboxMessage) -> list[Job]:
        user = row.recipient_user_id
        return [j for j in self.jobs if user is not None and j.row.recipient_user_id == user]

    @property
    def in_request(self) -> bool:
        """A request of the current row went out: its fate is Telegram's, let it finish."""
        return self.send is not None and self.send.requested

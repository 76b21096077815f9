"""Timestamps taken inside the bot's process: when updates arrive and when cards are requested.

The ✅ press that creates a case and the card request for it happen in different tasks, joined
only by the case's id, which exists once the case row is inserted. So the arrival stamp
(``ArrivalMiddleware``'s ``arrived_at``) is put on the update's database session, and an
``after_insert`` listener on ``Case`` files it under the new id. Nothing in the bot is changed:
the tap is one more outer middleware, the recorder is the delivery worker's ``Probe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject
from sqlalchemy import event
from sqlalchemy.orm import object_session

from bot.delivery import Probe
from bot.middlewares import Handler
from storage.models import Case, OutboxMessage

ARRIVED_AT = "bench_arrived_at"


class Recorder(Probe):
    def __init__(self) -> None:
        self.measuring = False
        self.expected = 0
        self.updates = 0
        self.first_arrival: float | None = None
        self.arrivals: dict[int, float] = {}
        self.cards: dict[int, float] = {}
        self._complete = asyncio.Event()

    def open(self, expected: int) -> None:
        self.expected = expected
        self.measuring = True

    def close(self) -> None:
        self.measuring = False

    async def all_cards(self, limit: float) -> bool:
        """Whether a card was requested for every expected case in time."""
        try:
            async with asyncio.timeout(limit):
                await self._complete.wait()
        except TimeoutError:
            return False
        return True

    def latencies(self) -> list[float]:
        """Seconds from the ✅ update's arrival to its case's first card request."""
        return [at - self.arrivals[case_id] for case_id, at in self.cards.items()]

    # -- hooks ---------------------------------------------------------------------------

    def before_request(self, row: OutboxMessage) -> None:
        case_id = row.case_id
        if row.kind != "card" or case_id not in self.arrivals or case_id in self.cards:
            return
        self.cards[case_id] = time.perf_counter()
        if len(self.cards) >= self.expected:
            self._complete.set()

    def arrived(self, data: dict[str, Any]) -> None:
        if not self.measuring:
            return
        arrived_at = data.get("arrived_at")
        session = data.get("session")
        if arrived_at is None or session is None:
            return
        self.updates += 1
        if self.first_arrival is None:
            self.first_arrival = arrived_at
        session.info[ARRIVED_AT] = arrived_at

    def _case_inserted(self, _mapper: Any, _connection: Any, case: Case) -> None:
        session = object_session(case)
        arrived_at = session.info.get(ARRIVED_AT) if session is not None else None
        if self.measuring and arrived_at is not None and case.id is not None:
            self.arrivals[case.id] = arrived_at

    @contextlib.contextmanager
    def attached(self, dispatcher: Dispatcher) -> Iterator[Recorder]:
        """Taps the dispatcher's updates and listens for new cases (a process-wide listener,
        hence removed on the way out)."""
        dispatcher.update.outer_middleware(ArrivalTap(self))
        event.listen(Case, "after_insert", self._case_inserted)
        try:
            yield self
        finally:
            event.remove(Case, "after_insert", self._case_inserted)


class ArrivalTap(BaseMiddleware):
    """Registered after the bot's own outer middlewares, so the arrival stamp and the update's
    session both exist by the time it runs."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self.recorder.arrived(data)
        return await handler(event, data)

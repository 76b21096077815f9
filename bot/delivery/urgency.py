"""Interactive work in progress, which background work steps aside for.

An update being handled, or a confirmation on its way out, shares the event loop (and on SQLite
the database's one write lock) with whatever a broadcast is doing. While one is in progress, bulk
sends do not start and the worker's bookkeeping (claims, writing outcomes) waits, so the answer
to what a student just did meets no queue. Each mark lapses on its own after `longest` seconds:
a mark never ended (a bug, a cancelled task) slows a broadcast for a moment, never stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Iterator

LONGEST = 0.25


class Urgency:
    def __init__(
        self, *, longest: float = LONGEST, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.longest = longest
        self.clock = clock
        self._until: dict[int, float] = {}
        self._tokens = itertools.count()
        self._ended = asyncio.Event()

    def begin(self) -> int:
        token = next(self._tokens)
        self._until[token] = self.clock() + self.longest
        return token

    def end(self, token: int) -> None:
        if self._until.pop(token, None) is not None and not self._until:
            self._ended.set()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        token = self.begin()
        try:
            yield
        finally:
            self.end(token)

    @property
    def busy(self) -> bool:
        if not self._until:
            return False
        now = self.clock()
        for token in [t for t, until in self._until.items() if until <= now]:
            del self._until[token]
        return bool(self._until)

    async def yield_to(self) -> None:
        """Until no interactive work is in progress (at most `longest` seconds)."""
        while self.busy:
            self._ended.clear()
            wait = min(self._until.values()) - self.clock()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), timeout=max(wait, 0.001))

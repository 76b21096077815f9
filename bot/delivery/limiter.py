"""Rate limits as sliding windows of sends, and the penalties a 429 earns.

A send takes a slot in each of its scopes — the whole bot ("global"), its chat ("chat:<id>")
and, for a group, the group ("group:<id>") — from the moment it is granted until `window`
seconds after its answer came back. Counting from the answer, not from the grant, is what keeps
the limit on Telegram's side: the request reached Telegram before its answer reached us, so
however late a request travels, two sends `limit` apart are a full window apart there too.

A 429 blocks the scopes it names until `retry_after` has passed (on the app's clock, like every
other "when is this due" in the outbox) and slows them for a while — half the rate after one,
a quarter after two, down to an eighth: the limiter learns that Telegram wants it slower
instead of finding out again at the next burst.
"""

from __future__ import annotations

import itertools
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GLOBAL = "global"
# How much slower a scope gets after each 429, at most, and for how long it remembers.
STRETCH, MAX_STRETCH, LEARN_SECONDS = 2.0, 8.0, 600.0
# A share of the global window kept for messages that are not bulk (never less than one slot).
BULK_RESERVE = 0.01


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float


@dataclass(frozen=True)
class Limits:
    global_rate: Rate
    chat: Rate
    group: Rate

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        per_second = settings.delivery_global_per_second
        burst = settings.delivery_chat_burst
        return cls(
            global_rate=Rate(max(1, round(per_second)), 1.0),
            chat=Rate(burst, burst / settings.delivery_chat_per_second),
            group=Rate(max(1, round(settings.delivery_group_per_minute)), 60.0),
        )

    def rate(self, scope: str) -> Rate:
        if scope == GLOBAL:
            return self.global_rate
        return self.group if scope.startswith("group:") else self.chat

    @property
    def bulk_reserve(self) -> int:
        return max(1, round(self.global_rate.limit * BULK_RESERVE))


def slowed(rate: Rate, factor: float) -> Rate:
    """The rate after 429s: fewer sends per window, down to one, then longer windows."""
    return Rate(max(1, int(rate.limit // factor)), rate.window * max(1.0, factor / rate.limit))


def chat_scopes(chat_id: int | str) -> tuple[str, ...]:
    """A private chat has positive id; groups, supergroups and channels negative (or @name)."""
    if isinstance(chat_id, int) and chat_id > 0:
        return (f"chat:{chat_id}",)
    return (f"chat:{chat_id}", f"group:{chat_id}")


@dataclass
class Grant:
    """The answer to a request for slots: granted, or how long to wait, or blocked until when."""

    ok: bool
    scopes: tuple[str, ...] = ()
    token: str = ""
    wait: float = 0.0
    blocked_until: datetime | None = None


class Limiter(ABC):
    """Shared state of the limits: in this process, or in Redis for several instances."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @abstractmethod
    async def try_acquire(
        self, scopes: Sequence[str], *, app_now: datetime, headroom: int = 0
    ) -> Grant:
        """One slot in every scope, or none; `headroom` slots of each window stay free."""

    @abstractmethod
    async def release(self, grant: Grant, *, used: bool = True) -> None:
        """The send is answered (its slots start to expire), or was never made (`used=False`)."""

    @abstractmethod
    async def available(self, scope: str) -> int:
        """Slots free in the scope right now."""

    @abstractmethod
    async def penalize(self, scopes: Sequence[str], *, until: datetime, app_now: datetime) -> None:
        """Telegram said 429: block the scopes until `until` and slow them down for a while."""

    async def remember(self, sends: Sequence[tuple[int | str, float]]) -> None:
        """Sends made before this limiter existed — (chat, seconds ago) — still count in their
        windows. A shared limiter outlives a restart and knows them already."""
        return None

    async def close(self) -> None:
        return None


@dataclass
class _Window:
    in_flight: set[str] = field(default_factory=set)
    answered: deque[float] = field(default_factory=deque)

    def purge(self, now: float, window: float) -> None:
        while self.answered and self.answered[0] <= now - window:
            self.answered.popleft()

    def wait(self, now: float, window: float, allowed: int) -> float:
        """Seconds until a slot is free (0: free now); a short poll when sends in flight hold
        the slots, since they start expiring only once answered."""
        self.purge(now, window)
        used = len(self.in_flight) + len(self.answered)
        if used < allowed:
            return 0.0
        expiring = used - allowed  # this many must expire first, oldest first
        if allowed <= 0 or expiring >= len(self.answered):
            return 0.01
        return max(0.001, self.answered[expiring] + window - now)


class MemoryLimiter(Limiter):
    """The limits of one process (SQLite deployments, tests)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limits)
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._blocks: dict[str, datetime] = {}
        self._stretch: dict[str, tuple[float, float]] = {}
        self._tokens = itertools.count(1)

    def _window(self, scope: str) -> tuple[_Window, Rate]:
        window = self._windows.setdefault(scope, _Window())
        rate = self.limits.rate(scope)
        stretch = self._stretch.get(scope)
        if stretch is not None:
            if stretch[1] > self.clock():
                rate = slowed(rate, stretch[0])
            else:
                del self._stretch[scope]
        return window, rate

    async def try_acquire(
        self, scopes: Sequence[str], *, app_now: datetime, headroom: int = 0
    ) -> Grant:
        blocked = [self._blocks[s] for s in scopes if s in self._blocks]
        blocked = [until for until in blocked if until > app_now]
        if blocked:
            return Grant(False, tuple(scopes), blocked_until=max(blocked))
        now = self.clock()
        wait = 0.0
        for scope in scopes:
            window, rate = self._window(scope)
            allowed = rate.limit - min(headroom, rate.limit - 1)
            wait = max(wait, window.wait(now, rate.window, allowed))
        if wait > 0:
            return Grant(False, tuple(scopes), wait=wait)
        token = str(next(self._tokens))
        for scope in scopes:
            self._windows[scope].in_flight.add(token)
        return Grant(True, tuple(scopes), token=token)

    async def release(self, grant: Grant, *, used: bool = True) -> None:
        now = self.clock()
        for scope in grant.scopes:
            window = self._windows.get(scope)
            if window is None or grant.token not in window.in_flight:
                continue
            window.in_flight.discard(grant.token)
            if used:
                window.answered.append(now)

    async def remember(self, sends: Sequence[tuple[int | str, float]]) -> None:
        now = self.clock()
        for chat_id, ago in sorted(sends, key=lambda send: -send[1]):
            for scope in (GLOBAL, *chat_scopes(chat_id)):
                window, _ = self._window(scope)
                window.answered.append(now - ago)

    async def available(self, scope: str) -> int:
        window, rate = self._window(scope)
        window.purge(self.clock(), rate.window)
        used = len(window.in_flight) + len(window.answered)
        return max(0, rate.limit - used)

    async def penalize(self, scopes: Sequence[str], *, until: datetime, app_now: datetime) -> None:
        now = self.clock()
        for scope in scopes:
            if self._blocks.get(scope, app_now) < until:
                self._blocks[scope] = until
            factor = self._stretch.get(scope, (1.0, 0.0))[0]
            self._stretch[scope] = (min(MAX_STRETCH, factor * STRETCH), now + LEARN_SECONDS)

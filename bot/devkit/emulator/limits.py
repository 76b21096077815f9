"""Strict mode: Telegram's flood limits, enforced with 429 ``retry_after`` as Telegram does.

Counted are the calls that put something in a chat or change it (sends, copies, forwards,
edits, forum topics). The defaults are Telegram's published limits:

- one chat: 3 messages in any 3 seconds (about one a second, short bursts tolerated);
- one group: 20 messages in any minute (on top of the per-chat limit);
- the whole bot: 30 messages in any second.

A chat that was told to wait and sends again before the time is up is "hammering": its wait is
doubled each time, up to an hour, the way a real flood earns ever longer bans.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COUNTED_PREFIXES = ("send", "copy", "forward", "edit")
COUNTED_TOPIC_METHODS = frozenset(
    {"createforumtopic", "editforumtopic", "closeforumtopic", "reopenforumtopic"}
)
NOT_COUNTED = frozenset({"sendchataction"})
MAX_PENALTY = 3600.0


def counted(method: str) -> bool:
    """Whether Telegram counts the call against its message limits."""
    name = method.lower()
    if name in NOT_COUNTED:
        return False
    return name.startswith(COUNTED_PREFIXES) or name in COUNTED_TOPIC_METHODS


@dataclass
class SlidingWindow:
    """At most ``limit`` events in any ``seconds``-long window (half-open, as time goes on)."""

    limit: int
    seconds: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more event fits; 0 when it fits now."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[len(self.times) - self.limit] + self.seconds - now

    def add(self, now: float) -> None:
        self.times.append(now)


@dataclass(frozen=True)
class Rejection:
    method: str
    chat_id: Any
    scope: str
    retry_after: int
    hammering: bool


class StrictLimits:
    """A policy answering 429 whenever a call would break one of the limits."""

    def __init__(
        self,
        *,
        global_per_second: float = 30,
        chat_per_second: float = 1,
        chat_burst: int = 3,
        group_per_minute: float = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_window = SlidingWindow(max(1, round(global_per_second)), 1.0)
        self.chat_limit = (chat_burst, chat_burst / chat_per_second)
        self.group_limit = (max(1, round(group_per_minute)), 60.0)
        self.clock = clock
        self.accepted = 0
        self.rejected: list[Rejection] = []
        self._chats: dict[Any, SlidingWindow] = {}
        self._groups: dict[Any, SlidingWindow] = {}
        # A chat told to wait: until when, and the wait it was last given.
        self._told: dict[Any, tuple[float, float]] = {}

    @property
    def hammered(self) -> int:
        """Calls that came while their chat was told to wait."""
        return sum(1 for r in self.rejected if r.hammering)

    def _windows(self, chat_id: Any) -> list[tuple[str, SlidingWindow]]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = SlidingWindow(*self.chat_limit)
        windows = [("global", self.global_window), ("chat", chat)]
        if not isinstance(chat_id, int) or chat_id < 0:
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = SlidingWindow(*self.group_limit)
            windows.append(("group", group))
        return windows

    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        chat_id = params.get("chat_id")
        if not counted(method) or chat_id is None:
            return None
        now = self.clock()
        told = self._told.get(chat_id)
        if told is not None and told[0] > now:
            penalty = min(MAX_PENALTY, told[1] * 2)
            self._told[chat_id] = (now + penalty, penalty)
            return self._reject(method, chat_id, "chat", penalty, hammering=True)
        windows = self._windows(chat_id)
        scope, wait = max(((name, w.wait(now)) for name, w in windows), key=lambda p: p[1])
        if wait > 0:
            if scope != "global":
                # Only a chat is banned: a full global window is everyone's, not one chat's fault.
                self._told[chat_id] = (now + math.ceil(wait), float(math.ceil(wait)))
            return self._reject(method, chat_id, scope, wait, hammering=False)
        for _, window in windows:
            window.add(now)
        self.accepted += 1
        return None

    def _reject(
        self, method: str, chat_id: Any, scope: str, wait: float, *, hammering: bool
    ) -> dict[str, Any]:
        retry_after = max(1, math.ceil(wait))
        self.rejected.append(Rejection(method, chat_id, scope, retry_after, hammering))
        return {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }

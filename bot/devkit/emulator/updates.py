"""The bot's pending-update queue with Telegram's getUpdates confirmation semantics."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import conflict

# What Telegram sends when the bot never narrowed allowed_updates.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class _Entry:
    update_id: int
    kind: str
    payload: dict[str, Any]
    delivered_seq: int | None = None


class UpdateQueue:
    """Updates wait here until a getUpdates call confirms them through ``offset``.

    Delivery alone does not drop an update (a response can be lost when a poller is
    cancelled); only a later ``offset`` past it does, as on Telegram.
    """

    def __init__(
        self, first_update_id: int = 100_000_001, on_poll: Callable[[], None] | None = None
    ) -> None:
        self._on_poll = on_poll
        self.active_polls = 0
        self._pending: list[_Entry] = []
        self._history: dict[int, _Entry] = {}
        # Ids Telegram forgot because a later offset confirmed them: what the bot acknowledged.
        self.confirmed: set[int] = set()
        self._next_id = first_update_id
        self._delivery_seq = 0
        self._allowed: frozenset[str] | None = None
        self._wakeup = asyncio.Event()
        self._generation = 0
        self._closed = False
        self.last_enqueue = 0.0

    # -- producers -----------------------------------------------------------------

    def push(self, kind: str, body: dict[str, Any]) -> int:
        update_id = self._next_id
        self._next_id += 1
        entry = _Entry(update_id, kind, {"update_id": update_id, kind: body})
        self._history[update_id] = entry
        self._append(entry)
        return update_id

    def redeliver(self, update_id: int) -> None:
        original = self._history.get(update_id)
        if original is None:
            raise KeyError(f"update {update_id} was never enqueued")
        self._append(_Entry(update_id, original.kind, copy.deepcopy(original.payload)))

    def drop_pending(self) -> None:
        self._pending.clear()

    def _append(self, entry: _Entry) -> None:
        self._pending.append(entry)
        self.last_enqueue = time.monotonic()
        self._notify()

    def _notify(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def close(self) -> None:
        """Release every held long poll (server shutdown)."""
        self._closed = True
        self._notify()

    def reopen(self) -> None:
        self._closed = False

    # -- inspection ----------------------------------------------------------------

    def get(self, update_id: int) -> dict[str, Any] | None:
        entry = self._history.get(update_id)
        return None if entry is None else entry.payload

    @property
    def history(self) -> list[dict[str, Any]]:
        return [entry.payload for entry in self._history.values()]

    @property
    def undelivered_count(self) -> int:
        return sum(1 for entry in self._pending if entry.delivered_seq is None)

    @property
    def unconfirmed_count(self) -> int:
        return sum(1 for entry in self._pending if entry.delivered_seq is not None)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    # -- getUpdates ----------------------------------------------------------------

    def _confirm(self, offset: int) -> None:
        # A redelivered update can carry an id lower than ones delivered with it; anything
        # delivered no later than the update the offset points past is confirmed too.
        boundary = max(
            (
                e.delivered_seq
                for e in self._pending
                if e.delivered_seq is not None and e.update_id == offset - 1
            ),
            default=-1,
        )
        kept = []
        for e in self._pending:
            if e.delivered_seq is None or (e.update_id >= offset and e.delivered_seq > boundary):
                kept.append(e)
            else:
                self.confirmed.add(e.update_id)
        self._pending = kept

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self._allowed = frozenset(str(kind) for kind in allowed) if allowed else None

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed

    def _take(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never creates updates of types the bot opted out of; drop them here.
        self._pending = [e for e in self._pending if self._is_allowed(e.kind)]
        batch = self._pending[:limit]
        for entry in batch:
            self._delivery_seq += 1
            entry.delivered_seq = self._delivery_seq
        return [entry.payload for entry in batch]

    async def get_updates(
        self,
        offset: int | None,
        limit: int | None,
        hold: float | None,
        allowed: Any,
        alive: Callable[[], bool] = lambda: True,
    ) -> list[dict[str, Any]]:
        if offset is not None:
            self._confirm(offset)
        self._set_allowed(allowed)
        limit = 100 if not limit or limit > 100 else max(limit, 1)
        # Telegram terminates an older long poll when a new one arrives.
        self._generation += 1
        generation = self._generation
        self._notify()
        deadline = time.monotonic() + max(float(hold or 0), 0.0)
        self.active_polls += 1
        try:
            if self._on_poll is not None:
                self._on_poll()
            return await self._hold(generation, limit, deadline, alive)
        finally:
            self.active_polls -= 1

    async def _hold(
        self, generation: int, limit: int, deadline: float, alive: Callable[[], bool]
    ) -> list[dict[str, Any]]:
        while True:
            if not alive():
                return []
            batch = self._take(limit)
            if batch or self._closed:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                return []
            if generation != self._generation:
                raise conflict(
                    "terminated by other getUpdates request; "
                    "make sure that only one bot instance is running"
                )

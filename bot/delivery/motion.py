"""Lanes whose rows are on their way between the database and this worker's lanes.

A row handed over by its own transaction goes into its lane behind whatever the lane holds in
memory. That is its right place unless an earlier row of the lane is just then neither here
nor settled in the database: claimed but not yet placed, or taken out to be postponed or given
back. Such a lane is "moving"; a hand-off that sees one, or that one starts under before it is
committed, is not placed but given back to the queue, where claiming keeps the order.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from storage.models import OutboxMessage

RECENT = 1024


@dataclass(frozen=True)
class Mark:
    count: int
    moving: frozenset[str]


@dataclass(eq=False)
class Ticket:
    lanes: frozenset[str]
    spoiled: bool = field(default=False)


class Motion:
    def __init__(self) -> None:
        self._moving: Counter[str] = Counter()
        self._watching: dict[str, set[Ticket]] = {}
        # Recent motions, numbered: what moved while a claim read in a snapshot of its own.
        self._count = 0
        self._recent: deque[tuple[int, frozenset[str]]] = deque(maxlen=RECENT)

    def moving(self, lane: str | None) -> bool:
        return lane is not None and lane in self._moving

    def begin(self, rows: Iterable[OutboxMessage]) -> frozenset[str]:
        lanes = frozenset(row.lane for row in rows if row.lane is not None)
        self._count += 1
        self._recent.append((self._count, lanes))
        for lane in lanes:
            self._moving[lane] += 1
            for ticket in self._watching.get(lane, ()):
                ticket.spoiled = True
        return lanes

    def end(self, lanes: Iterable[str]) -> None:
        for lane in lanes:
            self._moving[lane] -= 1
            if self._moving[lane] <= 0:
                del self._moving[lane]

    def mark(self) -> Mark:
        return Mark(self._count, frozenset(self._moving))

    def moved_since(self, mark: Mark) -> frozenset[str] | None:
        """Lanes that were moving at `mark` or have moved since (None: too many to tell)."""
        if self._recent and self._recent[0][0] > mark.count + 1:
            return None
        since = (lanes for count, lanes in self._recent if count > mark.count)
        return mark.moving.union(*since, self._moving)

    @contextlib.contextmanager
    def of(self, rows: Iterable[OutboxMessage]) -> Iterator[None]:
        lanes = self.begin(rows)
        try:
            yield
        finally:
            self.end(lanes)

    def watch(self, rows: Iterable[OutboxMessage]) -> Ticket:
        ticket = Ticket(frozenset(row.lane for row in rows if row.lane is not None))
        for lane in ticket.lanes:
            self._watching.setdefault(lane, set()).add(ticket)
        return ticket

    def unwatch(self, ticket: Ticket) -> None:
        for lane in ticket.lanes:
            watchers = self._watching.get(lane)
            if watchers is not None:
                watchers.discard(ticket)
                if not watchers:
                    del self._watching[lane]

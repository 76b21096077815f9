"""Working days: weekends off, plus the holidays and make-up workdays (调休) of the configuration,
or, for a year it does not list, of a statutory calendar passed in.

Pure: no clock, no storage. Deadlines count whole working days of wall-clock time in the
organisation's time zone: two working days from Friday 15:00 end on Tuesday 15:00, and a case
that arrives on Saturday starts its clock on Monday at midnight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

DAY = 86400.0

Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class YearDays:
    """One year's days off besides weekends, and its weekend days worked instead."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    # A year's days when the configuration lists no holiday in it: without them a year not yet
    # typed in would count only weekends, and the Spring Festival week as working days.
    statutory: Callable[[int], YearDays] | None = None

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if self.statutory is not None and not self.covers(day.year):
            fallback = self.statutory(day.year)
            if day in fallback.workdays:
                return True
            if day in fallback.holidays:
                return False
        elif day in self.holidays:
            return False
        return day.weekday() < 5

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def covers(self, year: int) -> bool:
        """Whether any holiday of `year` is listed: a calendar without them is probably stale."""
        return year in self._listed_years

    @cached_property
    def _listed_years(self) -> frozenset[int]:
        # Asked for every day a deadline spans: a set, not a scan of the holidays each time.
        return frozenset(day.year for day in self.holidays)

    def working_seconds(
        self, start: datetime, end: datetime, pauses: Sequence[Interval] = ()
    ) -> float:
        """Working time between two moments, leaving out the pauses."""
        total = 0.0
        for seg_start, seg_end in self._segments(start, end):
            total += _minus_pauses(seg_start, seg_end, pauses)
        return total

    def add_working_days(
        self, start: datetime, days: float, pauses: Sequence[Interval] = ()
    ) -> datetime | None:
        """The moment `days` working days after `start`; None while a pause has no end."""
        remaining = days * DAY
        if remaining <= 0:
            return start
        if any(end is None for _, end in pauses):
            return None
        day = self.local_date(start)
        # Ten years of calendar days is far beyond any deadline; it only bounds a bad config.
        for _ in range(3660):
            if self.is_working_day(day):
                seg_start = max(start, self.day_start(day))
                seg_end = self.day_start(day + timedelta(days=1))
                for piece_start, piece_end in _cut(seg_start, seg_end, pauses):
                    length = (piece_end - piece_start).total_seconds()
                    if length >= remaining:
                        return piece_start + timedelta(seconds=remaining)
                    remaining -= length
            day += timedelta(days=1)
        raise ValueError("no working days in the calendar")

    def _segments(self, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
        day = self.local_date(start)
        while start < end:
            next_day = self.day_start(day + timedelta(days=1))
            if self.is_working_day(day):
                yield max(start, self.day_start(day)), min(end, next_day)
            start = max(start, next_day)
            day += timedelta(days=1)


def _cut(
    start: datetime, end: datetime, pauses: Sequence[Interval]
) -> list[tuple[datetime, datetime]]:
    """[start, end) with the pauses taken out, in order."""
    pieces = [(start, end)]
    for p_start, p_end in sorted(pauses, key=lambda p: p[0]):
        stop = p_end if p_end is not None else datetime.max.replace(tzinfo=start.tzinfo)
        kept: list[tuple[datetime, datetime]] = []
        for a, b in pieces:
            if stop <= a or p_start >= b:
                kept.append((a, b))
                continue
            if a < p_start:
                kept.append((a, p_start))
            if stop < b:
                kept.append((stop, b))
        pieces = kept
    return pieces


def _minus_pauses(start: datetime, end: datetime, pauses: Sequence[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in _cut(start, end, pauses))

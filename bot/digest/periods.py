"""Reporting periods: ISO weeks (2026-W47), months (2026-11) and semesters (2026-fall).

A period is a range of local dates; its bounds in time are local midnights, so a week is
Monday 00:00 to the next Monday 00:00 in the organisation's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import Semester

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
SEMESTER = re.compile(r"^(\d{4})-(spring|fall)$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period that cannot be read; the message says what would be understood."""


@dataclass(frozen=True)
class Period:
    kind: str  # "week" | "month" | "semester"
    code: str
    first: date  # first day
    last: date  # last day, included

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.first, time(0), tz),
            datetime.combine(self.last + timedelta(days=1), time(0), tz),
        )


def week_of(day: date) -> Period:
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return Period("week", f"{year}-W{week:02d}", monday, monday + timedelta(days=6))


def month_of(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period("month", f"{year}-{month:02d}", first, following - timedelta(days=1))


def semester(code: str, semesters: list[Semester]) -> Period:
    for known in semesters:
        if known.code == code:
            return Period("semester", code, known.start, known.end)
    year, term = int(code[:4]), code[5:]
    if term == "fall":
        return Period("semester", code, date(year, 9, 1), date(year + 1, 1, 31))
    return Period("semester", code, date(year, 2, 1), date(year, 8, 31))


def parse_period(text: str, semesters: list[Semester] | None = None) -> Period:
    value = text.strip()
    if match := WEEK.match(value):
        year, week = int(match.group(1)), int(match.group(2))
        try:
            return week_of(date.fromisocalendar(year, week, 1))
        except ValueError:
            raise PeriodError(f"{value}: {year} has no week {week}") from None
    if match := MONTH.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"{value}: no month {month}")
        return month_of(year, month)
    if match := SEMESTER.match(value):
        return semester(f"{match.group(1)}-{match.group(2).lower()}", semesters or [])
    raise PeriodError(
        f"{value!r} is not a period: use a week (2026-W47), a month (2026-11) "
        "or a semester (2026-fall, 2026-spring)"
    )


def previous(period: Period, semesters: list[Semester] | None = None) -> Period:
    """The period of the same kind just before."""
    if period.kind == "week":
        return week_of(period.first - timedelta(days=7))
    if period.kind == "month":
        before = period.first - timedelta(days=1)
        return month_of(before.year, before.month)
    year, term = int(period.code[:4]), period.code[5:]
    code = f"{year}-spring" if term == "fall" else f"{year - 1}-fall"
    return semester(code, semesters or [])


def so_far(period: Period, today: date) -> Period:
    """The period cut at `today` (the current week so far, for /digest)."""
    return Period(period.kind, period.code, period.first, min(period.last, today))

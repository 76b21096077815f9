"""When digests are due: pure functions of a moment, so tests need no waiting."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.periods import Period, week_of


def last_slot(now: datetime, *, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The latest scheduled moment at or before `now` (weekday 0 = Monday, local time)."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, at, tz)
    if slot > now:
        slot -= timedelta(days=7)
    return slot


def period_of_slot(slot: datetime, tz: ZoneInfo) -> Period:
    """The last complete ISO week before the slot: Monday's digest covers the week just ended."""
    return week_of(slot.astimezone(tz).date() - timedelta(days=7))


def next_slot(now: datetime, *, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    return last_slot(now, weekday=weekday, at=at, tz=tz) + timedelta(days=7)

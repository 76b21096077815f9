"""Clocks for tests whose story depends on working days."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.casework.deadlines import calendar_of
from storage.types import utcnow
from tests.support.harness import Harness


def plain_monday(h: Harness) -> datetime:
    """10:00 on a Monday after tomorrow that starts eight working days in a row.

    The app's clock must not lag behind the real one (outbox rows are stamped with it), and a
    week with a holiday would move every deadline of the story.
    """
    assert h.app is not None
    calendar = calendar_of(h.app.services)
    day = (utcnow() + timedelta(days=1)).astimezone(calendar.tz).date()
    while True:
        day += timedelta(days=(7 - day.weekday()) % 7 or 7)
        days = [day + timedelta(days=n) for n in (0, 1, 2, 3, 4, 7, 8, 9)]
        if all(calendar.is_working_day(d) for d in days):
            return datetime.combine(day, time(10), calendar.tz)

"""Reporting periods and when the digest is due: pure functions of a moment."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.digest.periods import PeriodError, parse_period, previous
from bot.digest.schedule import last_slot, next_slot, period_of_slot

CST = ZoneInfo("Asia/Shanghai")
SEMESTERS = load_organisation(DEFAULT_ORG_FILE).calendar.semesters
NINE = time(9, 0)


def test_weeks_months_and_semesters() -> None:
    week = parse_period("2026-W47")
    assert (week.first, week.last) == (date(2026, 11, 16), date(2026, 11, 22))
    start, end = week.bounds(CST)
    assert start == datetime(2026, 11, 16, tzinfo=CST) and end == datetime(2026, 11, 23, tzinfo=CST)
    assert previous(week).code == "2026-W46"
    assert previous(parse_period("2027-w01")).code == "2026-W53"  # 2026 has 53 ISO weeks

    month = parse_period("2026-2")
    assert (month.code, month.last) == ("2026-02", date(2026, 2, 28))
    assert previous(parse_period("2026-01")).code == "2025-12"

    fall = parse_period("2026-Fall", SEMESTERS)  # dates from the organisation file
    assert (fall.first, fall.last) == (date(2026, 8, 31), date(2027, 1, 17))
    assert previous(fall, SEMESTERS).code == "2026-spring"
    older = parse_period("2025-fall", SEMESTERS)  # not listed: 1 September to 31 January
    assert (older.first, older.last) == (date(2025, 9, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2027-W53", "2027 has no week 53"),
        ("2026-13", "no month 13"),
        ("2026-winter", "is not a period"),
        ("last week", "is not a period"),
    ],
)
def test_a_malformed_period_is_explained(text: str, says: str) -> None:
    with pytest.raises(PeriodError, match=says):
        parse_period(text)


def test_the_digest_slot_and_the_week_it_covers() -> None:
    monday_nine = datetime(2026, 11, 23, 9, 0, tzinfo=CST)
    assert last_slot(monday_nine, weekday=0, at=NINE, tz=CST) == monday_nine
    just_before = datetime(2026, 11, 23, 8, 59, tzinfo=CST)
    assert last_slot(just_before, weekday=0, at=NINE, tz=CST) == datetime(
        2026, 11, 16, 9, tzinfo=CST
    )
    sunday = datetime(2026, 11, 29, 23, 0, tzinfo=CST)
    assert last_slot(sunday, weekday=0, at=NINE, tz=CST) == monday_nine
    assert next_slot(sunday, weekday=0, at=NINE, tz=CST) == datetime(2026, 11, 30, 9, tzinfo=CST)
    # Monday's digest covers the week just ended, whatever the zone of the moment given.
    assert period_of_slot(monday_nine.astimezone(ZoneInfo("UTC")), CST).code == "2026-W47"
    # A Friday schedule still reports the last complete week.
    friday = last_slot(datetime(2026, 11, 27, 18, tzinfo=CST), weekday=4, at=time(17), tz=CST)
    assert period_of_slot(friday, CST).code == "2026-W47"

"""Working days and the clocks built on them: pure functions, no database."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.casework.deadlines import (
    Dues,
    Policy,
    Step,
    build_calendar,
    compute,
    pauses_of,
    policy_for,
)
from bot.core.config import (
    DEFAULT_ORG_FILE,
    CalendarConfig,
    ConfigError,
    load_organisation,
    parse_schedule,
)
from bot.core.statutory import StatutoryHolidays
from bot.domain.calendar import WorkCalendar

CST = ZoneInfo("Asia/Shanghai")
ORG = load_organisation(DEFAULT_ORG_FILE)
CALENDAR = build_calendar(ORG, CST)
POLICY = Policy(first_response_days=2, answer_days=15, department_days=10)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def clocks(created: datetime, steps: list[Step], department: str | None = None) -> Dues:
    return compute(
        created_at=created,
        department_code=department,
        steps=steps,
        policy=POLICY,
        calendar=CALENDAR,
    )


def test_the_shipped_calendar_knows_holidays_and_make_up_days() -> None:
    assert CALENDAR.is_working_day(date(2026, 11, 20))  # a Friday
    assert not CALENDAR.is_working_day(date(2026, 11, 21))  # a Saturday
    assert not CALENDAR.is_working_day(date(2026, 10, 1))  # 国庆节, a Thursday
    assert not CALENDAR.is_working_day(date(2026, 2, 16))  # 春节, a Monday
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # 调休: a Saturday worked
    assert CALENDAR.is_working_day(date(2026, 1, 4))  # 调休: a Sunday worked
    assert CALENDAR.covers(2026) and not CALENDAR.covers(2030)


def test_working_days_skip_weekends_and_holidays() -> None:
    # Friday 15:00 plus two working days: Monday 15:00 is one, Tuesday 15:00 is two.
    assert CALENDAR.add_working_days(at(11, 20, 15), 2) == at(11, 24, 15)
    # A case arriving on Saturday starts its clock on Monday at midnight.
    assert CALENDAR.add_working_days(at(11, 21, 10), 2) == at(11, 25, 0)
    # Wednesday before 国庆: 14 h that day, then 1–7 October off, then 8 October and 10 h
    # of the 9th.
    assert CALENDAR.add_working_days(at(9, 30, 10), 2) == at(10, 9, 10)
    # Fifteen working days from a Monday: three full weeks.
    assert CALENDAR.add_working_days(at(11, 16, 9), 15) == at(12, 7, 9)


def test_a_pause_moves_the_deadline_by_the_working_time_it_took() -> None:
    start = at(11, 16, 9)  # Monday
    pause = (at(11, 16, 12), at(11, 17, 12))  # Monday noon to Tuesday noon
    assert CALENDAR.add_working_days(start, 2, [pause]) == at(11, 19, 9)  # Thursday, not Wed
    # A pause over the weekend costs no working time at all.
    weekend = (at(11, 21, 10), at(11, 23, 0))
    assert CALENDAR.add_working_days(start, 10, [weekend]) == at(11, 30, 9)
    # While a pause is open there is no deadline.
    assert CALENDAR.add_working_days(start, 2, [(at(11, 16, 12), None)]) is None
    assert CALENDAR.working_seconds(start, at(11, 17, 9), [pause]) == 3 * 3600  # 09:00-12:00


def test_clocks_from_a_case_history() -> None:
    created = at(11, 20, 15)  # Friday
    steps = [
        Step("accept", "submitted", "accepted", at(11, 23, 10)),
        Step("request_info", "accepted", "needs_info", at(11, 24, 10)),
    ]
    waiting = clocks(created, steps)
    assert waiting.first_response == at(11, 24, 15)
    assert waiting.paused and waiting.answer is None

    steps.append(Step("provide_info", "needs_info", "accepted", at(11, 26, 10)))  # 2 days later
    resumed = clocks(created, steps)
    unpaused = CALENDAR.add_working_days(created, 15)
    assert unpaused is not None and not resumed.paused
    assert resumed.answer == CALENDAR.add_working_days(unpaused, 2)

    steps.append(Step("forward", "accepted", "in_progress", at(11, 27, 9)))
    forwarded = clocks(created, steps, department="logistics")
    assert forwarded.department == at(12, 11, 9)  # ten working days after the forward

    steps += [
        Step("answer", "in_progress", "answered", at(12, 1, 9)),
        Step("rate_unsatisfied", "answered", "reopened", at(12, 2, 9)),
    ]
    reopened = clocks(created, steps, department="logistics")
    # 复核 restarts the answer and the department's clocks from the reopening.
    assert reopened.answer == CALENDAR.add_working_days(at(12, 2, 9), 15)
    assert reopened.department == CALENDAR.add_working_days(at(12, 2, 9), 10)


def test_pauses_are_read_from_the_events() -> None:
    steps = [
        Step("request_info", "submitted", "needs_info", at(11, 16, 10)),
        Step("provide_info", "needs_info", "submitted", at(11, 17, 10)),
        Step("request_info", "accepted", "needs_info", at(11, 18, 10)),
        Step("reject", "needs_info", "rejected", at(11, 19, 10)),
    ]
    assert pauses_of(steps) == [(at(11, 16, 10), at(11, 17, 10)), (at(11, 18, 10), at(11, 19, 10))]


def test_a_category_may_set_its_own_deadlines() -> None:
    org = ORG.model_copy(deep=True)
    urgent = org.category("campus_safety")
    assert urgent is not None
    urgent.first_response_days, urgent.answer_days = 0.5, 3
    policy = policy_for(org, "campus_safety")
    assert (policy.first_response_days, policy.answer_days, policy.department_days) == (0.5, 3, 10)
    assert policy_for(org, "teaching") == POLICY


def test_calendar_configuration_errors_name_the_setting(tmp_path: Path) -> None:
    bad = tmp_path / "org.toml"
    text = DEFAULT_ORG_FILE.read_text(encoding="utf-8")
    bad.write_text(text.replace('"2026-10-01..2026-10-07"', '"2026-10-07..2026-10-01"'), "utf-8")
    with pytest.raises(ConfigError, match=r"calendar\.holidays"):
        load_organisation(bad)


def test_the_digest_schedule_setting() -> None:
    assert parse_schedule("mon 09:00") == (0, datetime(2026, 1, 1, 9).time())
    assert parse_schedule("Friday 17:30")[0] == 4
    for bad in ("monday", "xyz 09:00", "mon 25:00"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_an_empty_calendar_still_skips_weekends() -> None:
    plain = WorkCalendar(tz=CST)
    assert plain.add_working_days(at(11, 20, 15), 1) == at(11, 23, 15)


def test_a_proposal_s_clocks_start_when_it_leaves_co_signing() -> None:
    drafted = at(11, 16, 9)  # Monday
    steps = [Step("open_cosigning", "draft", "cosigning", at(11, 16, 10))]
    cosigning = clocks(drafted, steps)
    assert (cosigning.first_response, cosigning.answer) == (None, None)
    steps.append(Step("submit", "cosigning", "submitted", at(11, 19, 15)))  # Thursday
    submitted = clocks(drafted, steps)
    assert submitted.first_response == at(11, 23, 15)  # two working days from Thursday 15:00
    steps.append(Step("assign", "accepted", "in_progress", at(11, 24, 9)))  # 交办
    assigned = clocks(drafted, steps, department="logistics")
    assert assigned.department == at(12, 8, 9)


def test_a_year_the_organisation_file_lacks_falls_back_to_chinas_statutory_days(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert not CALENDAR.covers(2027)
    caplog.set_level(logging.INFO, logger="bot.core.statutory")
    calendar = build_calendar(ORG, CST, StatutoryHolidays())
    # 春节 2027: New Year's Eve on Friday 5 February, the days off until Wednesday the 10th.
    for day in (5, 8, 9, 10):
        assert not calendar.is_working_day(date(2027, 2, day))
    assert calendar.is_working_day(date(2027, 2, 11))
    assert not calendar.is_working_day(date(2027, 1, 1))  # 元旦, a Friday
    assert calendar.add_working_days(datetime(2027, 2, 4, 12, tzinfo=CST), 1) == datetime(
        2027, 2, 11, 12, tzinfo=CST
    )
    fallbacks = [r for r in caplog.records if "lists no holidays for 2027" in r.getMessage()]
    assert [r.levelno for r in fallbacks] == [logging.INFO]  # once, however often asked


def test_the_fallback_counts_make_up_workdays_as_working_days() -> None:
    # An organisation file without a calendar: 2026 comes from the statutory days too.
    calendar = build_calendar(
        ORG.model_copy(update={"calendar": CalendarConfig()}), CST, StatutoryHolidays()
    )
    assert calendar.is_working_day(date(2026, 2, 14))  # 调休: a Saturday worked before 春节
    assert calendar.is_working_day(date(2026, 10, 10))  # 调休: a Saturday worked after 国庆
    assert not calendar.is_working_day(date(2026, 2, 20))  # the Friday it bought off
    assert not calendar.is_working_day(date(2026, 2, 17))  # 春节

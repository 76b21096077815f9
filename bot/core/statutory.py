"""China's statutory holidays and make-up workdays (调休), from the `holidays` package, for the
years the organisation file does not list."""

from __future__ import annotations

import logging

from bot.domain.calendar import YearDays

log = logging.getLogger(__name__)


class StatutoryHolidays:
    """Each year's days, looked up once: the working-day calendar asks for every day a deadline
    spans, and the log says once per year that the organisation file did not list it."""

    def __init__(self) -> None:
        self._years: dict[int, YearDays] = {}

    def __call__(self, year: int) -> YearDays:
        days = self._years.get(year)
        if days is None:
            days = self._years[year] = china_year(year)
            log.info(
                "the organisation file lists no holidays for %s: using China's statutory "
                "holidays and make-up workdays from the holidays package (%d days off, %d "
                "weekend days worked); add the year under [calendar] to override them",
                year,
                len(days.holidays),
                len(days.workdays),
            )
        return days


def china_year(year: int) -> YearDays:
    # 270 ms to import: only a process that needs a year the organisation file lacks pays it.
    import holidays

    # The next year too: a notice can move a day of the year before (2006's made
    # 2005-12-31 a working Saturday).
    calendar = holidays.country_holidays("CN", years=(year, year + 1))
    return YearDays(
        holidays=frozenset(day for day in calendar if day.year == year),
        workdays=frozenset(day for day in calendar.weekend_workdays if day.year == year),
    )

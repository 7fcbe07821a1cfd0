"""The England working-day calendar, built from the ``holidays`` library.

This adapter lives outside ``domain/`` so the domain stays standard-library only: the domain
receives the holidays of a year and a name, never the library. The name records the library
version because a later release may correct a year's holidays, and every computed deadline
must say which calendar produced it (PROCEDURE.md, rule sets).
"""

from __future__ import annotations

from datetime import date

import holidays

from domain.calendar import WorkingDayCalendar

# The years the library knows England's bank holidays for (0.109: 1872-2100; before 1872
# there were none, after 2100 it has no rules, and it answers "no holidays" there too).
# Outside them the calendar counts weekends only (domain/calendar.py); the date window of
# new input (domain/limits.py) lies inside them.
SOURCE_FIRST_YEAR, SOURCE_LAST_YEAR = 1872, 2100


def england_calendar(first_year: int = SOURCE_FIRST_YEAR,
                     last_year: int = SOURCE_LAST_YEAR) -> WorkingDayCalendar:
    """England & Wales bank holidays (``subdiv="ENG"``), looked up lazily, one year at a time.

    ``subdiv`` is required: plain "GB" omits Easter Monday and the August bank holiday,
    which are England-only, and would make every clock spanning them a day early.
    ``first_year``..``last_year`` are the years holidays are taken from; every date of
    every year stays computable (domain/calendar.py).
    """

    def holidays_of(year: int) -> list[date]:
        return list(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())

    return WorkingDayCalendar(
        holidays=holidays_of,
        name=f"gb-eng/holidays-{holidays.__version__}",
        first_year=first_year,
        last_year=last_year,
    )

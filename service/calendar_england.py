"""The England working-day calendar, built from the ``holidays`` library.

This adapter lives outside ``domain/`` so the domain stays standard-library only: the domain
receives a list of dates and a name, never the library. The name records the library
version because a later release may correct a year's holidays, and every computed deadline
must say which calendar produced it (PROCEDURE.md, rule sets).
"""

from __future__ import annotations

import holidays

from domain.calendar import WorkingDayCalendar


def england_calendar(first_year: int = 2015, last_year: int = 2040) -> WorkingDayCalendar:
    """England & Wales bank holidays (``subdiv="ENG"``) for ``first_year``..``last_year``.

    ``subdiv`` is required: plain "GB" omits Easter Monday and the August bank holiday,
    which are England-only, and would make every clock spanning them a day early.
    """
    years = range(first_year, last_year + 1)
    table = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return WorkingDayCalendar(
        holidays=table.keys(),
        name=f"gb-eng/holidays-{holidays.__version__}",
        first_year=first_year,
        last_year=last_year,
    )

"""Working days, calendar months and London dates: the arithmetic behind every clock.

The domain never looks up bank holidays itself and never asks for the current time: the
holidays arrive as data (``service/calendar_england.py`` builds them from the ``holidays``
library) and every instant arrives as a parameter, so a deadline computed today and the
same deadline replayed in ten years come out identical.

Day-0 convention (PROCEDURE.md, Clocks): the day of the start event is day 0 whatever kind
of day it is; day 1 is the first working day *after* it; "within N WD" means by the end of
day N. So a start on a Saturday makes Monday day 1, exactly as a start on a Friday does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import CalendarRangeError

_LONDON = ZoneInfo("Europe/London")
_ONE_DAY = timedelta(days=1)


class WorkingDayCalendar:
    """Monday to Friday minus the given holidays, for a bounded range of years.

    The range is explicit because a holiday list is only ever known for some years: asking
    about a date outside it raises ``CalendarRangeError`` instead of silently treating an
    unknown year's bank holidays as working days.
    """

    def __init__(
        self, holidays: Iterable[date], name: str, first_year: int, last_year: int
    ) -> None:
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year")
        self.name = name
        self.first_year = first_year
        self.last_year = last_year
        self._first = date(first_year, 1, 1)
        self._last = date(last_year, 12, 31)
        self.holidays: frozenset[date] = frozenset(
            d for d in holidays if self._first <= d <= self._last
        )
        # Every working day of the range, in order: all arithmetic below becomes a binary
        # search, so property tests over decades stay fast and there is one source of truth.
        days: list[date] = []
        d = self._first
        while d <= self._last:
            if d.weekday() < 5 and d not in self.holidays:
                days.append(d)
            d += _ONE_DAY
        self._working_days: tuple[date, ...] = tuple(days)

    def __repr__(self) -> str:
        return (
            f"WorkingDayCalendar(name={self.name!r}, "
            f"years={self.first_year}-{self.last_year})"
        )

    def _check(self, d: date) -> None:
        if not self._first <= d <= self._last:
            raise CalendarRangeError(d, self.name, self.first_year, self.last_year)

    def _out_of_range(self, d: date) -> CalendarRangeError:
        return CalendarRangeError(d, self.name, self.first_year, self.last_year)

    def _count_up_to(self, d: date) -> int:
        """How many working days of the range fall on or before ``d``."""
        return bisect_right(self._working_days, d)

    def is_working_day(self, d: date) -> bool:
        self._check(d)
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The Nth working day after ``start`` (``start`` is day 0; n=0 gives ``start``).

        Aware Thu 18 Dec 2025: +1 is Fri 19 Dec, +5 is Mon 29 Dec (25, 26 Dec and the
        weekend are skipped).
        """
        if n < 0:
            raise ValueError("n must be >= 0; use working_days_before to count backwards")
        self._check(start)
        if n == 0:
            return start
        index = self._count_up_to(start) + n - 1
        if index >= len(self._working_days):
            raise self._out_of_range(self._last + _ONE_DAY)
        return self._working_days[index]

    def working_days_before(self, d: date, n: int) -> date:
        """The latest date x such that ``d`` is at least ``n`` working days after x.

        Precisely: the latest x with ``add_working_days(x, n) <= d``, equivalently with
        ``working_days_between(x, d) >= n``. It mirrors the day-0 convention, so "sent on
        x, at least 7 WD before publication on d" means d falls on or after day 7 counted
        from x. Two consequences, both deliberate:

        - when d is a working day, x is the day before the nth working day counted back
          from d inclusive: publication Wed 20 Mar 2024 -> Mon 11 Mar 2024 (the 7 WD
          12-20 Mar remain);
        - the result may be a weekend or holiday: publication Tue 19 Mar 2024 -> Sun 10 Mar
          2024, because a copy sent on Sunday still leaves Mon 11 .. Tue 19 (7 WD), just
          like one sent on Friday 8 Mar. Flagging the weekend as late would be a false
          breach in a ledger that never erases one.

        n=0 gives d itself.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        self._check(d)
        if n == 0:
            return d
        # The nth working day counting back from d inclusive must lie strictly after x.
        index = self._count_up_to(d) - n
        if index < 0:
            raise self._out_of_range(self._first - _ONE_DAY)
        result = self._working_days[index] - _ONE_DAY
        if result < self._first:
            raise self._out_of_range(result)
        return result

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days in the half-open interval (a, b]; 0 when b <= a.

        Half-open to match the day-0 convention: ``working_days_between(s,
        add_working_days(s, n)) == n``.
        """
        self._check(a)
        self._check(b)
        if b <= a:
            return 0
        return self._count_up_to(b) - self._count_up_to(a)


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - _ONE_DAY).day


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the end of a shorter month.

    31 Aug 2025 + 6 = 28 Feb 2026; 31 Jan 2026 + 3 = 30 Apr 2026. Clamping never rolls into
    the following month, so an escalation is never pushed past the month it belongs to.
    ``n`` may be negative.
    """
    months = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(months, 12)
    month = month0 + 1
    return date(year, month, min(d.day, _month_length(year, month)))


def london_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant.

    Naive datetimes are refused: guessing their zone would move events recorded near
    midnight in British Summer Time onto the wrong day, and so move deadlines.
    """
    if not isinstance(instant, datetime):
        raise TypeError("london_date needs a datetime")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime refused: give a timezone-aware instant")
    return instant.astimezone(_LONDON).date()

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

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import CalendarRangeError

_LONDON = ZoneInfo("Europe/London")
_ONE_DAY = timedelta(days=1)

# The holidays of one year, as data: a list for a fixed set, or a function of the year.
HolidaySource = Iterable[date] | Callable[[int], Iterable[date]]


class WorkingDayCalendar:
    """Monday to Friday minus the holidays of a source, for every date a ``date`` can hold.

    Total by design (issue 8): a ledger may hold a date from any year (one written before
    the date window existed, e.g. a 9999-12-31 placeholder), and one such date must not
    stop every read. Years are worked out lazily, once each, so a calendar costs nothing
    until it is asked about a year. ``first_year``..``last_year`` are the years the
    holiday source is trusted for; outside them only weekends are non-working days (the
    England source knows no holidays there anyway, see service/calendar_england.py), and
    ``covers`` says which years those are. Only an answer that would fall before year 1 or
    after year 9999 raises ``CalendarRangeError``.
    """

    def __init__(
        self, holidays: HolidaySource, name: str,
        first_year: int = MINYEAR, last_year: int = MAXYEAR,
    ) -> None:
        if not MINYEAR <= first_year <= last_year <= MAXYEAR:
            raise ValueError("need MINYEAR <= first_year <= last_year <= MAXYEAR")
        self.name = name
        self.first_year = first_year
        self.last_year = last_year
        if callable(holidays):
            self._source: Callable[[int], Iterable[date]] = holidays
        else:
            by_year: dict[int, list[date]] = {}
            for d in holidays:
                by_year.setdefault(d.year, []).append(d)
            self._source = lambda year: by_year.get(year, ())
        self._holidays: dict[int, frozenset[date]] = {}
        # Every working day of a year, in order: arithmetic within a year is a binary search.
        self._working: dict[int, tuple[date, ...]] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingDayCalendar(name={self.name!r}, "
            f"years={self.first_year}-{self.last_year})"
        )

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def holidays_of(self, year: int) -> frozenset[date]:
        if year not in self._holidays:
            days: frozenset[date] = frozenset()
            if self.covers(year):
                days = frozenset(d for d in self._source(year) if d.year == year)
            self._holidays[year] = days
        return self._holidays[year]

    def _year(self, year: int) -> tuple[date, ...]:
        if year not in self._working:
            holidays = self.holidays_of(year)
            days = []
            d = date(year, 1, 1)
            while d.year == year:
                if d.weekday() < 5 and d not in holidays:
                    days.append(d)
                if d == date.max:
                    break
                d += _ONE_DAY
            self._working[year] = tuple(days)
        return self._working[year]

    def _out_of_range(self, d: date) -> CalendarRangeError:
        return CalendarRangeError(d, self.name)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays_of(d.year)

    def add_working_days(self, start: date, n: int) -> date:
        """The Nth working day after ``start`` (``start`` is day 0; n=0 gives ``start``).

        Aware Thu 18 Dec 2025: +1 is Fri 19 Dec, +5 is Mon 29 Dec (25, 26 Dec and the
        weekend are skipped).
        """
        if n < 0:
            raise ValueError("n must be >= 0; use working_days_before to count backwards")
        if n == 0:
            return start
        year = start.year
        days = self._year(year)
        index = bisect_right(days, start) + n - 1  # the answer's index, counted in `year`
        while index >= len(days):
            index -= len(days)
            year += 1
            if year > MAXYEAR:
                raise self._out_of_range(start)
            days = self._year(year)
        return days[index]

    def working_days_before(self, d: date, n: int) -> date:
        """The nth working day counted back from ``d`` (``d`` is day 0; n=0 gives ``d``).

        The mirror of ``add_working_days``: day -1 is the last working day strictly before
        ``d``, whatever kind of day ``d`` is, and day -n is the answer. Precisely, for
        n >= 1 the answer x is a working day, x < d, and exactly n working days lie in
        [x, d) (so n - 1 lie strictly between x and d). It is always a working day: a
        duty to act "no later than n WD before" a date cannot fall due on a weekend or a
        bank holiday, and an act on the weekend after it is late (§18.7, issue 11).

        Publication Tue 15 Jul 2025, n=7 -> Fri 4 Jul 2025 (14, 11, 10, 9, 8, 7 Jul are
        days -1..-6); a copy sent on Sat 5 Jul is a day late.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return d
        year = d.year
        days = self._year(year)
        index = bisect_left(days, d) - n  # the answer's index, counted in `year`
        while index < 0:
            year -= 1
            if year < MINYEAR:
                raise self._out_of_range(d)
            days = self._year(year)
            index += len(days)
        return days[index]

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days in the half-open interval (a, b]; 0 when b <= a.

        Half-open to match the day-0 convention: ``working_days_between(s,
        add_working_days(s, n)) == n``.
        """
        if b <= a:
            return 0
        total = bisect_right(self._year(b.year), b) - bisect_right(self._year(a.year), a)
        for year in range(a.year, b.year):
            total += len(self._year(year))
        return total


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - _ONE_DAY).day


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the end of a shorter month.

    31 Aug 2025 + 6 = 28 Feb 2026; 31 Jan 2026 + 3 = 30 Apr 2026. Clamping never rolls into
    the following month, so an escalation is never pushed past the month it belongs to.
    ``n`` may be negative. An answer outside years 1-9999 raises ``CalendarRangeError``.
    """
    months = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise CalendarRangeError(d, f"{n:+d} months")
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
    try:
        return instant.astimezone(_LONDON).date()
    except OverflowError:
        # Within hours of year 1 or year 10000 (only a stored value can be there): the
        # instant's own date is the nearest representable answer.
        return instant.date()


def occurred_on(occurred_at: str) -> date:
    """The London date of an event's ``occurred_at`` (a date, or an instant)."""
    if len(occurred_at) == 10:
        return date.fromisoformat(occurred_at)
    return london_date(datetime.fromisoformat(occurred_at.replace("Z", "+00:00")))

"""Working-day arithmetic against the real England calendar.

Every expected date in the tables was counted by hand on a paper calendar (weekday in the
comment, bank holidays named), never produced by the code under test. England bank
holidays used, 2024-2028:
  2024: Mon 1 Jan, Fri 29 Mar, Mon 1 Apr, Mon 6 May, Mon 27 May, Mon 26 Aug, Wed 25 Dec, Thu 26 Dec
  2025: Wed 1 Jan, Fri 18 Apr, Mon 21 Apr, Mon 5 May, Mon 26 May, Mon 25 Aug, Thu 25 Dec, Fri 26 Dec
  2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May, Mon 31 Aug, Fri 25 Dec,
        Mon 28 Dec (substitute for Boxing Day, Sat 26)
  2027: Fri 1 Jan, Fri 26 Mar, Mon 29 Mar, Mon 3 May, Mon 31 May, Mon 30 Aug,
        Mon 27 Dec and Tue 28 Dec (substitutes for Sat 25 / Sun 26)
  2028: Mon 3 Jan (substitute for Sat 1 Jan)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar, add_months, london_date
from domain.errors import CalendarRangeError, CsprError
from service.calendar_england import england_calendar

CAL = england_calendar()
D = date


# (start, n, expected) for add_working_days. Day 0 is the start; day n is the answer.
FORWARD = [
    # --- the PROCEDURE.md example ---
    (D(2025, 12, 18), 1, D(2025, 12, 19)),  # Thu -> Fri
    (D(2025, 12, 18), 5, D(2025, 12, 29)),  # Thu -> Mon (skips 25, 26 Dec and weekend)
    (D(2025, 12, 18), 7, D(2025, 12, 31)),  # Thu -> Wed
    (D(2025, 12, 18), 10, D(2026, 1, 6)),  # Thu -> Tue (skips Thu 1 Jan 2026)
    (D(2025, 12, 18), 15, D(2026, 1, 13)),  # Thu -> Tue
    (D(2025, 12, 24), 1, D(2025, 12, 29)),  # Wed -> Mon
    (D(2025, 12, 24), 5, D(2026, 1, 5)),  # Wed -> Mon (29,30,31 Dec, Fri 2, Mon 5 Jan)
    # --- Christmas 2024 (Wed 25, Thu 26) and New Year 2025 (Wed 1 Jan) ---
    (D(2024, 12, 24), 1, D(2024, 12, 27)),  # Tue -> Fri
    (D(2024, 12, 24), 5, D(2025, 1, 3)),  # Tue -> Fri (27, 30, 31 Dec, 2, 3 Jan)
    (D(2024, 12, 24), 7, D(2025, 1, 7)),  # Tue -> Tue
    (D(2024, 12, 24), 10, D(2025, 1, 10)),  # Tue -> Fri
    (D(2024, 12, 24), 15, D(2025, 1, 17)),  # Tue -> Fri
    (D(2024, 12, 25), 1, D(2024, 12, 27)),  # start on Christmas Day (Wed) -> Fri
    (D(2024, 12, 25), 5, D(2025, 1, 3)),  # Wed (holiday) -> Fri
    # --- Christmas 2026: Fri 25, Boxing Day Sat 26 -> substitute Mon 28; Fri 1 Jan 2027 ---
    (D(2026, 12, 23), 1, D(2026, 12, 24)),  # Wed -> Thu
    (D(2026, 12, 23), 5, D(2027, 1, 4)),  # Wed -> Mon (24, 29, 30, 31 Dec, 4 Jan)
    (D(2026, 12, 24), 1, D(2026, 12, 29)),  # Thu -> Tue (skips Fri 25, weekend, Mon 28)
    (D(2026, 12, 24), 5, D(2027, 1, 5)),  # Thu -> Tue
    (D(2026, 12, 24), 7, D(2027, 1, 7)),  # Thu -> Thu
    (D(2026, 12, 24), 10, D(2027, 1, 12)),  # Thu -> Tue
    (D(2026, 12, 24), 15, D(2027, 1, 19)),  # Thu -> Tue
    (D(2026, 12, 26), 1, D(2026, 12, 29)),  # Sat (Boxing Day) start -> Tue
    (D(2026, 12, 31), 1, D(2027, 1, 4)),  # Thu -> Mon (skips Fri 1 Jan 2027)
    # --- Christmas 2027: Sat 25 / Sun 26 -> Mon 27 & Tue 28; Sat 1 Jan 2028 -> Mon 3 ---
    (D(2027, 12, 23), 1, D(2027, 12, 24)),  # Thu -> Fri
    (D(2027, 12, 24), 1, D(2027, 12, 29)),  # Fri -> Wed
    (D(2027, 12, 24), 5, D(2028, 1, 5)),  # Fri -> Wed (29, 30, 31 Dec, Tue 4, Wed 5 Jan)
    (D(2027, 12, 24), 7, D(2028, 1, 7)),  # Fri -> Fri
    (D(2027, 12, 24), 10, D(2028, 1, 12)),  # Fri -> Wed
    (D(2027, 12, 24), 15, D(2028, 1, 19)),  # Fri -> Wed
    # --- Easter 2024: Good Friday 29 Mar, Easter Monday 1 Apr ---
    (D(2024, 3, 25), 5, D(2024, 4, 3)),  # Mon -> Wed (26, 27, 28 Mar, 2, 3 Apr)
    (D(2024, 3, 28), 1, D(2024, 4, 2)),  # Thu -> Tue
    (D(2024, 3, 28), 5, D(2024, 4, 8)),  # Thu -> Mon
    (D(2024, 3, 28), 7, D(2024, 4, 10)),  # Thu -> Wed
    (D(2024, 3, 28), 10, D(2024, 4, 15)),  # Thu -> Mon
    (D(2024, 3, 28), 15, D(2024, 4, 22)),  # Thu -> Mon
    # --- Easter 2025: 18 & 21 Apr, then early May Mon 5 May ---
    (D(2025, 4, 17), 1, D(2025, 4, 22)),  # Thu -> Tue
    (D(2025, 4, 17), 5, D(2025, 4, 28)),  # Thu -> Mon
    (D(2025, 4, 17), 7, D(2025, 4, 30)),  # Thu -> Wed
    (D(2025, 4, 17), 10, D(2025, 5, 6)),  # Thu -> Tue (1, 2 May, skips Mon 5 May)
    (D(2025, 4, 17), 15, D(2025, 5, 13)),  # Thu -> Tue
    # --- Easter 2026: 3 & 6 Apr ---
    (D(2026, 4, 1), 1, D(2026, 4, 2)),  # Wed -> Thu
    (D(2026, 4, 1), 5, D(2026, 4, 10)),  # Wed -> Fri (2, 7, 8, 9, 10 Apr)
    (D(2026, 4, 1), 7, D(2026, 4, 14)),  # Wed -> Tue
    (D(2026, 4, 1), 10, D(2026, 4, 17)),  # Wed -> Fri
    (D(2026, 4, 1), 15, D(2026, 4, 24)),  # Wed -> Fri
    (D(2026, 4, 2), 1, D(2026, 4, 7)),  # Thu -> Tue
    # --- Easter 2027: 26 & 29 Mar ---
    (D(2027, 3, 25), 1, D(2027, 3, 30)),  # Thu -> Tue
    (D(2027, 3, 25), 5, D(2027, 4, 5)),  # Thu -> Mon
    (D(2027, 3, 25), 7, D(2027, 4, 7)),  # Thu -> Wed
    (D(2027, 3, 25), 10, D(2027, 4, 12)),  # Thu -> Mon
    (D(2027, 3, 25), 15, D(2027, 4, 19)),  # Thu -> Mon
    # --- early May bank holidays ---
    (D(2024, 5, 3), 1, D(2024, 5, 7)),  # Fri -> Tue (Mon 6 May)
    (D(2024, 5, 3), 5, D(2024, 5, 13)),  # Fri -> Mon
    (D(2026, 5, 1), 1, D(2026, 5, 5)),  # Fri -> Tue (Mon 4 May)
    (D(2026, 5, 1), 10, D(2026, 5, 18)),  # Fri -> Mon
    (D(2027, 4, 30), 5, D(2027, 5, 10)),  # Fri -> Mon (Mon 3 May)
    # --- spring bank holidays ---
    (D(2024, 5, 24), 1, D(2024, 5, 28)),  # Fri -> Tue (Mon 27 May)
    (D(2024, 5, 24), 7, D(2024, 6, 5)),  # Fri -> Wed
    (D(2025, 5, 23), 5, D(2025, 6, 2)),  # Fri -> Mon (Mon 26 May)
    (D(2026, 5, 21), 15, D(2026, 6, 12)),  # Thu -> Fri (Mon 25 May)
    (D(2027, 5, 28), 1, D(2027, 6, 1)),  # Fri -> Tue (Mon 31 May)
    # --- August bank holidays ---
    (D(2024, 8, 23), 5, D(2024, 9, 2)),  # Fri -> Mon (Mon 26 Aug)
    (D(2025, 8, 22), 1, D(2025, 8, 26)),  # Fri -> Tue (Mon 25 Aug)
    (D(2025, 8, 22), 10, D(2025, 9, 8)),  # Fri -> Mon
    (D(2026, 8, 28), 7, D(2026, 9, 9)),  # Fri -> Wed (Mon 31 Aug)
    (D(2027, 8, 28), 1, D(2027, 8, 31)),  # Sat start -> Tue (Mon 30 Aug)
    (D(2027, 8, 28), 15, D(2027, 9, 20)),  # Sat -> Mon
]


@pytest.mark.parametrize(("start", "n", "expected"), FORWARD)
def test_calendar_add_working_days_hand_table(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


# (planned publication d, latest date x to send the copy) for working_days_before(d, 7):
# d is day 0 and x is day -7, the 7th working day strictly before d (issue 11: always a
# working day; a copy sent on the weekend after x is late). Counted back by hand, the days
# listed are days -1..-7 with what was skipped in brackets.
BACKWARD_7 = [
    # §18.7, issue 11: Tue 15 Jul 2025 -> 14, 11, 10, 9, 8, 7 Jul, Fri 4 Jul (12-13, 5-6 wkend)
    (D(2025, 7, 15), D(2025, 7, 4)),
    (D(2024, 3, 20), D(2024, 3, 11)),  # Wed -> 19, 18, 15, 14, 13, 12, Mon 11 Mar
    (D(2024, 3, 19), D(2024, 3, 8)),  # Tue -> 18, 15, 14, 13, 12, 11, Fri 8 Mar (not Sun 10)
    (D(2024, 3, 23), D(2024, 3, 14)),  # Sat -> 22, 21, 20, 19, 18, 15, Thu 14 Mar
    # Wed 8 Jan 2025 -> 7, 6, 3, 2 Jan, [1 Jan], 31, 30 Dec, [28-29 wkend], Fri 27 Dec 2024
    (D(2025, 1, 8), D(2024, 12, 27)),
    # Tue 7 Jan 2025 -> 6, 3, 2 Jan, 31, 30, 27 Dec, [25, 26 Dec], Tue 24 Dec 2024
    (D(2025, 1, 7), D(2024, 12, 24)),
    # Easter 2025: Fri 25 Apr -> 24, 23, 22, [Mon 21, wkend, Fri 18], 17, 16, 15, Mon 14 Apr
    (D(2025, 4, 25), D(2025, 4, 14)),
    # Easter 2025: Wed 23 Apr -> 22, [21, 19-20, 18], 17, 16, 15, 14, 11, Thu 10 Apr
    (D(2025, 4, 23), D(2025, 4, 10)),
    (D(2025, 5, 12), D(2025, 4, 30)),  # Mon -> 9, 8, 7, 6, [Mon 5 May], 2, 1 May, Wed 30 Apr
    # August bank holiday 2025: Tue 2 Sep -> 1 Sep, 29, 28, 27, 26, [Mon 25 Aug], 22, Thu 21
    (D(2025, 9, 2), D(2025, 8, 21)),
    (D(2025, 9, 5), D(2025, 8, 27)),  # Fri -> 4, 3, 2, 1 Sep, 29, 28 Aug, Wed 27 Aug
    # Wed 3 Jun 2026 -> 2, 1 Jun, 29, 28, 27, 26, [Mon 25 May holiday], Fri 22 May
    (D(2026, 6, 3), D(2026, 5, 22)),
    # Thu 7 Jan 2027 -> 6, 5, 4, [1 Jan], 31, 30, 29, [Mon 28 substitute, wkend, 25], Thu 24 Dec
    (D(2027, 1, 7), D(2026, 12, 24)),
    # Wed 7 Apr 2027 -> 6, 5, 2, 1 Apr, 31, 30 Mar, [Easter Mon 29, wkend, Good Fri 26], Thu 25
    (D(2027, 4, 7), D(2027, 3, 25)),
    # Fri 7 Jan 2028 -> 6, 5, 4, [Mon 3 Jan], 31, 30, 29, [Tue 28, Mon 27 Dec], Fri 24 Dec
    (D(2028, 1, 7), D(2027, 12, 24)),
]


@pytest.mark.parametrize(("planned", "expected"), BACKWARD_7)
def test_calendar_working_days_before_hand_table(planned: date, expected: date) -> None:
    assert CAL.working_days_before(planned, 7) == expected
    assert CAL.is_working_day(expected)


def test_calendar_working_days_before_zero_is_the_day_itself() -> None:
    assert CAL.working_days_before(D(2026, 12, 28), 0) == D(2026, 12, 28)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (D(2025, 12, 18), D(2025, 12, 29), 5),  # Thu -> Mon over Christmas
        (D(2026, 12, 24), D(2027, 1, 5), 5),  # Thu -> Tue over substitute + New Year
        (D(2026, 12, 26), D(2026, 12, 28), 0),  # Sat -> Mon (substitute holiday)
        (D(2024, 3, 28), D(2024, 4, 1), 0),  # Thu -> Easter Monday
        (D(2024, 3, 28), D(2024, 4, 2), 1),  # Thu -> Tue
        (D(2025, 6, 2), D(2025, 6, 2), 0),  # same day
        (D(2025, 6, 9), D(2025, 6, 2), 0),  # reversed: empty interval
        (D(2025, 6, 6), D(2025, 6, 9), 1),  # Fri -> Mon
        (D(2025, 6, 7), D(2025, 6, 9), 1),  # Sat -> Mon
    ],
)
def test_calendar_working_days_between(a: date, b: date, expected: int) -> None:
    assert CAL.working_days_between(a, b) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 4, 1), False),  # Easter Monday: England-only, needs subdiv="ENG"
        (D(2025, 8, 25), False),  # August bank holiday: England-only too
        (D(2026, 12, 26), False),  # Sat
        (D(2026, 12, 28), False),  # Mon, Boxing Day substitute
        (D(2027, 12, 27), False),  # Mon, Christmas substitute
        (D(2027, 12, 28), False),  # Tue, Boxing Day substitute
        (D(2028, 1, 3), False),  # Mon, New Year substitute
        (D(2027, 12, 29), True),  # Wed
        (D(2025, 12, 24), True),  # Christmas Eve is a working day
        (D(2025, 12, 31), True),  # office closures do not move statutory deadlines
        (D(2026, 3, 18), True),  # an ordinary Wednesday
    ],
)
def test_calendar_is_working_day(day: date, expected: bool) -> None:
    assert CAL.is_working_day(day) is expected


def test_calendar_adapter_name_records_source_and_version() -> None:
    import holidays

    assert CAL.name == f"gb-eng/holidays-{holidays.__version__}"
    # The years the library knows England's holidays for; the date window lies inside.
    assert (CAL.first_year, CAL.last_year) == (1872, 2100)
    assert CAL.covers(1990) and CAL.covers(2100) and not CAL.covers(2101)


def test_calendar_is_total_over_every_storable_date() -> None:
    """Issue 8: a stored 1900-01-01 or 9999-12-31 must not stop a read."""
    # Year 1900 has bank holidays in the source: Easter Monday, Mon 16 Apr 1900.
    assert not CAL.is_working_day(D(1900, 4, 16))
    assert CAL.add_working_days(D(1900, 1, 1), 1) == D(1900, 1, 2)  # Mon -> Tue
    # Outside the source's years, weekends only: Fri 30 Dec 2101 -> Mon 2 Jan 2102.
    assert CAL.add_working_days(D(2101, 12, 30), 1) == D(2102, 1, 2)
    assert CAL.is_working_day(D(2101, 12, 26))  # a Monday; no holiday data for 2101
    assert CAL.add_working_days(D(9999, 12, 28), 2) == D(9999, 12, 30)  # Tue -> Thu
    assert CAL.working_days_before(D(1, 1, 12), 3) == D(1, 1, 9)  # Fri 12 -> 11, 10, Tue 9
    assert CAL.working_days_between(D(1, 1, 1), D(1, 1, 8)) == 5
    assert CAL.working_days_between(D(2099, 12, 31), D(2102, 1, 1)) > 500


def test_calendar_answers_beyond_year_9999_raise_a_named_error() -> None:
    assert issubclass(CalendarRangeError, CsprError)
    with pytest.raises(CalendarRangeError):
        CAL.add_working_days(D(9999, 12, 30), 2)  # the answer would fall in year 10000
    with pytest.raises(CalendarRangeError):
        CAL.working_days_before(D(1, 1, 3), 3)  # the answer would fall in year 0
    with pytest.raises(CalendarRangeError):
        add_months(D(9999, 12, 31), 3)
    with pytest.raises(CalendarRangeError):
        add_months(D(1, 1, 31), -1)


def test_calendar_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2025, 1, 6), -1)
    with pytest.raises(ValueError):
        CAL.working_days_before(D(2025, 1, 6), -1)


def test_calendar_hand_made_holidays_outside_range_are_ignored() -> None:
    cal = WorkingDayCalendar([D(2030, 1, 1), D(2020, 6, 3)], "test/1", 2020, 2020)
    assert not cal.is_working_day(D(2020, 6, 3))
    assert cal.holidays_of(2020) == frozenset({D(2020, 6, 3)})
    assert cal.holidays_of(2030) == frozenset()
    assert cal.is_working_day(D(2030, 1, 1))  # a Tuesday outside the trusted years


def test_calendar_takes_holidays_from_a_function_of_the_year_once_each() -> None:
    asked: list[int] = []

    def source(year: int) -> list[date]:
        asked.append(year)
        return [D(year, 6, 3)]

    cal = WorkingDayCalendar(source, "test/2")
    assert not cal.is_working_day(D(2020, 6, 3))
    assert cal.add_working_days(D(2020, 6, 2), 1) == D(2020, 6, 4)
    assert not cal.is_working_day(D(5000, 6, 3))
    assert asked == [2020, 5000]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 8, 31), 6, D(2026, 2, 28)),  # PROCEDURE.md example
        (D(2026, 1, 31), 3, D(2026, 4, 30)),  # April has 30 days
        (D(2026, 1, 31), 6, D(2026, 7, 31)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a year after 29 Feb
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
        (D(2025, 10, 31), 2, D(2025, 12, 31)),
        (D(2025, 11, 15), 3, D(2026, 2, 15)),  # year roll
        (D(2025, 3, 15), 6, D(2025, 9, 15)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),  # negative months also clamp
        (D(2026, 3, 31), 0, D(2026, 3, 31)),
    ],
)
def test_calendar_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2025, 6, 30, 23, 30, tzinfo=timezone.utc), D(2025, 7, 1)),  # BST
        (datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc), D(2025, 12, 31)),  # GMT
        (datetime(2025, 3, 30, 0, 30, tzinfo=timezone.utc), D(2025, 3, 30)),  # before 01:00 UTC switch
        (datetime(2025, 10, 25, 23, 30, tzinfo=timezone.utc), D(2025, 10, 26)),  # still BST
        (datetime(2025, 10, 26, 23, 30, tzinfo=timezone.utc), D(2025, 10, 26)),  # GMT again
        (datetime(2025, 7, 1, 3, 0, tzinfo=timezone(timedelta(hours=5))), D(2025, 6, 30)),
        (datetime(2025, 7, 1, 0, 5, tzinfo=ZoneInfo("Europe/London")), D(2025, 7, 1)),
    ],
)
def test_calendar_london_date(instant: datetime, expected: date) -> None:
    assert london_date(instant) == expected


def test_calendar_london_date_refuses_naive() -> None:
    with pytest.raises(ValueError):
        london_date(datetime(2025, 7, 1, 12, 0))


# ---------------------------------------------------------------- properties (real calendar)

dates = st.dates(min_value=D(2016, 1, 1), max_value=D(2038, 12, 31))
counts = st.integers(min_value=0, max_value=80)


def _count_forward(start: date, n: int) -> date:
    """Oracle: step one calendar day at a time, counting working days."""
    d, seen = start, 0
    while seen < n:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in CAL.holidays_of(d.year):
            seen += 1
    return d


@given(dates, st.integers(min_value=1, max_value=80))
def test_calendar_property_lands_on_working_day(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@given(dates, dates, counts)
def test_calendar_property_monotonic_in_start(a: date, b: date, n: int) -> None:
    a, b = min(a, b), max(a, b)
    assert CAL.add_working_days(a, n) <= CAL.add_working_days(b, n)


@given(dates, counts, counts)
def test_calendar_property_monotonic_in_n(start: date, m: int, n: int) -> None:
    m, n = min(m, n), max(m, n)
    assume(m != n)
    assert CAL.add_working_days(start, m) < CAL.add_working_days(start, n)


@given(dates, counts)
def test_calendar_property_agrees_with_day_by_day(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n) == _count_forward(start, n)


@given(dates, counts)
def test_calendar_property_between_inverts_add(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@given(dates, st.integers(min_value=-30, max_value=400))
def test_calendar_property_between_counts_day_by_day(a: date, offset: int) -> None:
    b = a + timedelta(days=offset)
    expected = sum(
        1
        for i in range(1, offset + 1)
        if (day := a + timedelta(days=i)).weekday() < 5
        and day not in CAL.holidays_of(day.year)
    )
    assert CAL.working_days_between(a, b) == expected


@given(dates, st.integers(min_value=1, max_value=40))
def test_calendar_property_before_counts_back_to_a_working_day(d: date, n: int) -> None:
    """Backward counting, defined (issue 11): for n >= 1, x = working_days_before(d, n) is

    - a working day,
    - strictly before d, and
    - such that exactly n working days lie in the half-open interval [x, d): x itself is
      day -n and exactly n - 1 working days lie strictly between x and d.

    The count is made day by day here, not with the calendar's own arithmetic. When d is a
    working day it is the exact mirror of forward counting: x + n WD is d.
    """
    x = CAL.working_days_before(d, n)
    assert CAL.is_working_day(x)
    assert x < d
    in_between = [
        day for i in range(1, (d - x).days)
        if (day := x + timedelta(days=i)).weekday() < 5 and day not in CAL.holidays_of(day.year)
    ]
    assert len(in_between) == n - 1
    if CAL.is_working_day(d):
        assert CAL.add_working_days(x, n) == d


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2900, 12, 31)), st.integers(-1200, 1200))
def test_calendar_property_add_months_clamps(d: date, n: int) -> None:
    result = add_months(d, n)
    months = (result.year - d.year) * 12 + (result.month - d.month)
    assert months == n
    assert result.day <= d.day
    if result.day < d.day:
        # Clamped: it must be the last day of its month, never spilling into the next.
        assert (result + timedelta(days=1)).month != result.month
    if d.day <= 28:
        assert result.day == d.day


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2900, 12, 31)), st.integers(-60, 60), st.integers(-60, 60))
def test_calendar_property_add_months_composes_below_29(d: date, a: int, b: int) -> None:
    d = d.replace(day=min(d.day, 28))
    assert add_months(add_months(d, a), b) == add_months(d, a + b)

import time
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfoNotFoundError

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.workdays import WorkingCalendar, to_local_date

ONE_DAY = timedelta(days=1)
CHRISTMAS = WorkingCalendar(holidays=frozenset({date(2026, 12, 25)}))


def reference_add(calendar: WorkingCalendar, start: date, n: int) -> date:
    """add_working_days spelled out day by day, as its docstring defines it."""
    if n == 0 and calendar.is_working_day(start):
        return start
    day, counted = start, 0
    while counted < max(n, 1):
        day += ONE_DAY
        counted += calendar.is_working_day(day)
    return day


def reference_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    low, high = sorted((start, end))
    count = sum(calendar.is_working_day(low + ONE_DAY * i) for i in range(1, (high - low).days + 1))
    return count if end >= start else -count


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
# Dense clusters of holidays (long Lebaran breaks) as well as scattered ones, and any weekend
# from none to six days.
calendars = st.builds(
    WorkingCalendar,
    holidays=st.frozensets(
        st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 12, 31)), max_size=150
    ),
    weekend=st.frozensets(st.integers(min_value=0, max_value=6), max_size=6),
)
counts = st.integers(min_value=0, max_value=300)


@given(calendars, days, counts)
def test_add_working_days_matches_counting_day_by_day(calendar, start, n):
    assert calendar.add_working_days(start, n) == reference_add(calendar, start, n)


@given(calendars, days, days)
def test_working_days_between_matches_counting_day_by_day(calendar, start, end):
    assert calendar.working_days_between(start, end) == reference_between(calendar, start, end)


@given(calendars, days, counts)
def test_counting_back_what_was_added_gives_n(calendar, start, n):
    assume(n >= 1 or calendar.is_working_day(start))
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n


@given(calendars, days)
def test_zero_days_from_a_day_off_lands_on_the_next_working_day(calendar, start):
    assume(not calendar.is_working_day(start))
    due = calendar.add_working_days(start, 0)
    assert due == calendar.next_working_day(start) == calendar.add_working_days(start, 1)
    # The documented exception to the round trip.
    assert calendar.working_days_between(start, due) == 1


@given(calendars, days, counts)
def test_result_is_a_working_day_and_grows_with_n(calendar, start, n):
    due = calendar.add_working_days(start, n)
    later = calendar.add_working_days(start, n + 1)
    assert calendar.is_working_day(due)
    assert start <= due <= later
    if n >= 1:
        assert due < later


@given(calendars, days, days)
def test_adding_the_count_to_a_working_day_gives_it_back(calendar, start, end):
    assume(start <= end and calendar.is_working_day(end))
    assert calendar.add_working_days(start, calendar.working_days_between(start, end)) == end


@given(calendars, days, days)
def test_working_days_between_is_antisymmetric(calendar, a, b):
    assert calendar.working_days_between(a, b) == -calendar.working_days_between(b, a)


@given(calendars, st.frozensets(days, max_size=40), days, counts)
def test_holidays_on_weekend_days_change_nothing(calendar, extra, start, n):
    weekend_holidays = {d for d in extra if d.weekday() in calendar.weekend}
    wider = WorkingCalendar(calendar.holidays | weekend_holidays, calendar.weekend)
    end = calendar.add_working_days(start, n)
    assert wider.add_working_days(start, n) == end
    assert wider.working_days_between(start, end) == calendar.working_days_between(start, end)


def test_christmas_pushes_a_three_day_deadline_over_the_weekend():
    # Wed 23 Dec: Thu 24 (1), Fri 25 holiday, weekend, Mon 28 (2), Tue 29 (3).
    assert CHRISTMAS.add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 29)
    assert CHRISTMAS.working_days_between(date(2026, 12, 23), date(2026, 12, 29)) == 3
    assert CHRISTMAS.working_days_between(date(2026, 12, 29), date(2026, 12, 23)) == -3


def test_zero_days_is_the_same_day_or_the_next_working_day():
    assert CHRISTMAS.add_working_days(date(2026, 12, 23), 0) == date(2026, 12, 23)
    assert CHRISTMAS.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 28)
    assert CHRISTMAS.add_working_days(date(2026, 12, 26), 0) == date(2026, 12, 28)


def test_next_working_day_is_strictly_after():
    assert CHRISTMAS.next_working_day(date(2026, 12, 23)) == date(2026, 12, 24)
    assert CHRISTMAS.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_a_friday_only_weekend_is_honoured():
    friday_off = WorkingCalendar(holidays=frozenset(), weekend=frozenset({4}))
    assert friday_off.add_working_days(date(2026, 1, 1), 1) == date(2026, 1, 3)  # Thu -> Sat


def test_large_counts_over_decades_of_holidays():
    holidays = frozenset(
        date(year, month, day)
        for year in range(2026, 2070)
        for month in range(1, 13)
        for day in (1, 15)
    )
    calendar = WorkingCalendar(holidays)
    start = date(2026, 3, 20)
    due = calendar.add_working_days(start, 10_000)
    assert due == reference_add(calendar, start, 10_000)
    assert calendar.working_days_between(start, due) == 10_000


def test_deadline_moves_by_the_working_days_the_clock_was_paused():
    deadline = date(2026, 12, 29)
    # Waiting on the resident from Wed 23 Dec to Mon 28 Dec cost Thu 24 and Mon 28.
    paused = CHRISTMAS.working_days_between(date(2026, 12, 23), date(2026, 12, 28))
    assert paused == 2
    assert CHRISTMAS.deadline_after_pause(deadline, paused) == date(2026, 12, 31)
    assert CHRISTMAS.deadline_after_pause(deadline, 0) == deadline


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        CHRISTMAS.add_working_days(date(2026, 12, 23), -1)


@pytest.mark.parametrize("weekend", [set(range(7)), {5, 7}, {-1}])
def test_a_weekend_must_leave_some_working_days(weekend):
    with pytest.raises(ValueError):
        WorkingCalendar(holidays=frozenset(), weekend=weekend)


def test_calendar_accepts_any_collection_and_stays_immutable():
    from_list = WorkingCalendar([date(2026, 12, 25)], [6, 5])
    assert from_list == CHRISTMAS
    assert hash(from_list) == hash(CHRISTMAS)
    assert isinstance(from_list.holidays, frozenset)


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 1, 1, 16, 59, 59, tzinfo=UTC), "Asia/Jakarta", date(2026, 1, 1)),
        (datetime(2026, 1, 1, 17, 0, tzinfo=UTC), "Asia/Jakarta", date(2026, 1, 2)),
        (datetime(2026, 1, 1, 15, 0, tzinfo=UTC), "Asia/Jayapura", date(2026, 1, 2)),
        # 01:00 in Jayapura (UTC+9) is still the previous evening in Jakarta.
        (
            datetime(2026, 1, 2, 1, 0, tzinfo=timezone(timedelta(hours=9))),
            "Asia/Jakarta",
            date(2026, 1, 1),
        ),
    ],
)
def test_to_local_date(moment, zone, expected):
    assert to_local_date(moment, zone) == expected


def test_to_local_date_reads_naive_timestamps_as_utc_whatever_the_machine_zone(monkeypatch):
    # Naive timestamps come back from SQLite; the server's own zone must not shift them.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        # 12:00 UTC is 19:00 in Jakarta; read as New York time it would be past midnight there.
        assert to_local_date(datetime(2026, 1, 1, 12, 0), "Asia/Jakarta") == date(2026, 1, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_to_local_date_refuses_an_unknown_zone():
    with pytest.raises(ZoneInfoNotFoundError):
        to_local_date(datetime(2026, 1, 1, tzinfo=UTC), "Asia/Atlantis")

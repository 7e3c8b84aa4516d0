"""Working-day arithmetic for service deadlines (SLAs).

Deadlines count working days: days outside the weekend that are not holidays. The holidays come
from the caller (the backend merges the national calendar with the region pack's overrides), so
this module stays free of third-party packages.

All arithmetic is on local calendar dates; convert timestamps with `to_local_date` first.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = 7


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days: not in `weekend` (Monday = 0) and not in `holidays`.

    Intervals are half-open on the left: a span (start, end] counts `end` but not `start`,
    the way "within 3 working days of submission" is meant. Nothing walks day by day: whole
    weeks are skipped arithmetically and holidays counted by bisection, so a span of decades
    costs about as much as one of days.
    """

    holidays: frozenset[date]
    weekend: frozenset[int] = frozenset({5, 6})
    # Holidays that fall on weekdays, sorted; a holiday on a weekend day removes nothing.
    _weekday_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accept any iterable, but keep the calendar immutable (and hashable) once built.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "weekend", frozenset(self.weekend))
        if not self.weekend <= set(range(_WEEK)) or len(self.weekend) == _WEEK:
            raise ValueError(
                f"weekend must be some but not all of the weekdays 0-6: {self.weekend}"
            )
        weekday_holidays = sorted(d for d in self.holidays if d.weekday() not in self.weekend)
        object.__setattr__(self, "_weekday_holidays", tuple(weekday_holidays))

    def is_working_day(self, d: date) -> bool:
        return d.weekday() not in self.weekend and d not in self.holidays

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days d with start < d <= end; negated when end comes before start.

        Antisymmetric, so it can measure how late (negative: how early) something is.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return self._weekdays_between(start, end) - self._holidays_between(start, end)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`.

        For n >= 1 that is the earliest date with exactly n working days in (start, date], so
        `working_days_between(start, add_working_days(start, n)) == n`. n = 0 means "today, or
        the next working day if today is not one": a task due within zero working days of a
        Saturday is due on Monday. For that one case (n = 0, `start` not a working day) the
        round trip gives 1, not 0.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        day, missing = start, n
        # Step over `missing` weekdays, then count the holidays stepped over: each one leaves a
        # working day still missing. Ends once a step crosses no holiday, so on a working day.
        while missing:
            after = self._add_weekdays(day, missing)
            missing = self._holidays_between(day, after)
            day = after
        return day

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def deadline_after_pause(self, deadline: date, paused_working_days: int) -> date:
        """Move a deadline by the working days its clock was paused (waiting on the resident).

        Measure the pause as `working_days_between(pause_date, resume_date)` on local dates: a
        pause that starts and ends on the same day costs nothing.
        """
        return self.add_working_days(deadline, paused_working_days)

    def _weekdays_between(self, start: date, end: date) -> int:
        """Days d outside the weekend with start < d <= end, for start <= end."""
        weeks, rest = divmod((end - start).days, _WEEK)
        first = start.weekday()
        partial = sum((first + i) % _WEEK not in self.weekend for i in range(1, rest + 1))
        return weeks * (_WEEK - len(self.weekend)) + partial

    def _holidays_between(self, start: date, end: date) -> int:
        """Holidays d on weekdays with start < d <= end."""
        holidays = self._weekday_holidays
        return bisect_right(holidays, end) - bisect_right(holidays, start)

    def _add_weekdays(self, start: date, n: int) -> date:
        """The n-th day after `start` that is outside the weekend (holidays ignored), n >= 1."""
        weeks, rest = divmod(n - 1, _WEEK - len(self.weekend))
        day = start + timedelta(weeks=weeks)
        # Whole weeks done; at most one week's worth of weekdays remains to walk.
        for _ in range(rest + 1):
            day += timedelta(days=1)
            while day.weekday() in self.weekend:
                day += timedelta(days=1)
        return day


def to_local_date(utc_dt: datetime, tz_name: str) -> date:
    """The calendar date of a stored timestamp in a region's time zone (e.g. "Asia/Jakarta").

    A naive datetime is taken as UTC, because that is how timestamps are stored and SQLite hands
    them back without an offset.
    """
    if utc_dt.tzinfo is None:
        utc_dt = utc_dt.replace(tzinfo=UTC)
    return utc_dt.astimezone(ZoneInfo(tz_name)).date()


def local_day_start(day: date, tz_name: str) -> datetime:
    """The moment a local calendar day begins in a region's time zone, as an aware datetime:
    the lower bound of "on or after `day`" for timestamps stored in UTC."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(tz_name))

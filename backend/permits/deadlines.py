"""The statutory clock of an application, in working days of the region's calendar.

The clock starts on the local date of submission and runs for the permit type's
`deadline_working_days`. While the applicant is asked for information it is paused; on
resubmission the due date moves by the working days the pause lasted, so a pause over a weekend
or a holiday costs the agency nothing it could have worked.
"""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from backend.microcache import remember
from backend.region.service import SNAPSHOT_TABLES, working_calendar
from shared.permits import OPEN_STATUSES, PermitStatus
from shared.workdays import WorkingCalendar

# The queue flags an item as due soon when this many working days or fewer are left.
DUE_SOON_WORKING_DAYS = 2


def calendar_around(session: Session, today: dt.date) -> WorkingCalendar:
    """A calendar covering every date an open application's clock can touch from `today`:
    built once per year and kept in the microcache until the region or its holidays change
    (every permit read asks for it)."""
    return remember(
        session,
        ("permits.calendar", today.year),
        lambda: working_calendar(session, years=range(today.year - 1, today.year + 2)),
        tables=SNAPSHOT_TABLES,
    )


def due_date(calendar: WorkingCalendar, *, submitted_on: dt.date, working_days: int) -> dt.date:
    return calendar.add_working_days(submitted_on, working_days)


@dataclass(frozen=True)
class Resumption:
    due_on: dt.date
    paused_working_days: int


def resume(
    calendar: WorkingCalendar, *, due_on: dt.date, paused_on: dt.date, resumed_on: dt.date
) -> Resumption:
    """The due date after a pause from `paused_on` to `resumed_on` (local dates)."""
    paused = max(0, calendar.working_days_between(paused_on, resumed_on))
    return Resumption(calendar.deadline_after_pause(due_on, paused), paused)


@dataclass(frozen=True)
class ClockReading:
    due_on: dt.date | None
    paused: bool
    working_days_left: int | None  # negative when overdue; None when the clock does not run
    due_soon: bool
    overdue: bool


def read_clock(
    calendar: WorkingCalendar,
    *,
    status: PermitStatus,
    due_on: dt.date | None,
    paused: bool,
    today: dt.date,
) -> ClockReading:
    """Where an application stands against its due date today.

    Only open applications with a running clock can be due soon or overdue ("fiktif positif":
    an agency that lets the statutory time pass is visibly late).
    """
    if due_on is None or status not in OPEN_STATUSES or paused:
        return ClockReading(due_on, paused, None, due_soon=False, overdue=False)
    left = calendar.working_days_between(today, due_on)
    return ClockReading(
        due_on,
        paused,
        left,
        due_soon=0 <= left <= DUE_SOON_WORKING_DAYS,
        overdue=left < 0,
    )

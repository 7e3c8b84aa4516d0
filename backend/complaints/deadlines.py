"""Working-day deadlines of complaints, in the region's time zone and holiday calendar.

Each stage has its own deadline: a new (or forwarded) complaint must be verified or forwarded
within the category's verify days, a verified (or reopened) one followed up within its follow-up
days. While the agency waits on the reporter the clock stands still; when the pause ends, the
deadline moves by the working days it lasted.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, case, literal
from sqlmodel import Session, col

from backend.complaints.models import Complaint
from backend.region.service import RegionSnapshot, working_calendar
from shared.complaints import ComplaintStatus
from shared.workdays import WorkingCalendar, local_day_start, to_local_date


class Resolvable(Protocol):
    """A complaint or a row with its status and resolution time."""

    @property
    def status(self) -> str: ...
    @property
    def resolved_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class RegionClock:
    """Today's date and working-day arithmetic as the region's offices count them."""

    time_zone: str
    calendar: WorkingCalendar
    reopen_window: dt.timedelta

    def local_date(self, moment: dt.datetime) -> dt.date:
        return to_local_date(moment, self.time_zone)

    def due_after(self, start: dt.datetime, working_days: int) -> dt.date:
        return self.calendar.add_working_days(self.local_date(start), working_days)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        return self.calendar.working_days_between(self.local_date(start), self.local_date(end))

    def working_days_taken(self, *, filed: dt.datetime, resolved: dt.datetime, paused: int) -> int:
        """How long a complaint took, as its deadlines count: the working days from filing to
        resolution less the `paused` ones, which were the reporter's to answer questions."""
        return self.working_days_between(filed, resolved) - paused

    def due_soon_limit(self, now: dt.datetime) -> dt.date:
        """The last due date that counts as "due soon": today or the next working day."""
        return self.calendar.next_working_day(self.local_date(now))

    # A resolved complaint whose reopen window has passed reads as closed at once, everywhere
    # (detail, lists, feed, map, exports); reads never write, so `close_expired` records the
    # close later (its timeline event and the reporter's notice). The rule in Python for rows
    # read, and its SQL twin, right below it, for filters by status.

    def reopen_until(self, complaint: Resolvable) -> dt.datetime | None:
        """The last moment a resolved complaint may be reopened (None unless resolved)."""
        if complaint.status != ComplaintStatus.RESOLVED or complaint.resolved_at is None:
            return None
        return complaint.resolved_at + self.reopen_window

    def holds_until(self, shown: Iterable[Resolvable], now: dt.datetime) -> dt.datetime:
        """Until when an answer showing `shown` as read at `now` stays true with time alone: the
        next local midnight (overdue and due-soon move on), or the end of a shown complaint's
        reopen window if that comes first (it then reads as closed)."""
        until = local_day_start(self.local_date(now) + dt.timedelta(days=1), self.time_zone)
        for complaint in shown:
            ends = self.reopen_until(complaint)
            if ends is not None and now <= ends < until:
                until = ends
        return until

    def status_as_read(self, complaint: Resolvable, now: dt.datetime) -> ComplaintStatus:
        until = self.reopen_until(complaint)
        if until is not None and now > until:
            return ComplaintStatus.CLOSED
        return ComplaintStatus(complaint.status)

    def status_column(self, now: dt.datetime) -> ColumnElement[str]:
        return status_as_read(now - self.reopen_window)


def status_as_read(reopen_ended: Any) -> ColumnElement[str]:
    """The status as readers see it: resolved before `reopen_ended` (a moment, or a parameter
    bound at execution) reads as closed."""
    closed = literal(ComplaintStatus.CLOSED.value)
    return case((_resolved_before(reopen_ended), closed), else_=col(Complaint.status))


def reopen_expired(now: dt.datetime, reopen_window: dt.timedelta) -> ColumnElement[bool]:
    """Resolved complaints that read as closed: their reopen window has passed."""
    return _resolved_before(now - reopen_window)


def _resolved_before(moment: Any) -> ColumnElement[bool]:
    return and_(
        col(Complaint.status) == ComplaintStatus.RESOLVED, col(Complaint.resolved_at) < moment
    )


def region_clock(session: Session, *, region: RegionSnapshot, around: dt.datetime) -> RegionClock:
    # Last year to next year: enough for any pause or deadline around `around`.
    year = to_local_date(around, region.time_zone).year
    calendar = working_calendar(session, years=range(year - 1, year + 2))
    return RegionClock(
        time_zone=region.time_zone,
        calendar=calendar,
        reopen_window=dt.timedelta(days=region.reopen_window_days),
    )

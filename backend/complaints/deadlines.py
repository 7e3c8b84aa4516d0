"""Working-day deadlines of complaints, in the region's time zone and holiday calendar.

Each stage has its own deadline: a new (or forwarded) complaint must be verified or forwarded
within the category's verify days, a verified (or reopened) one followed up within its follow-up
days. While the agency waits on the reporter the clock stands still; when the pause ends, the
deadline moves by the working days it lasted.
"""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from backend.region.models import Region
from backend.region.service import working_calendar
from shared.workdays import WorkingCalendar, to_local_date


@dataclass(frozen=True)
class RegionClock:
    """Today's date and working-day arithmetic as the region's offices count them."""

    time_zone: str
    calendar: WorkingCalendar

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


def region_clock(session: Session, *, region: Region, around: dt.datetime) -> RegionClock:
    # Last year to next year: enough for any pause or deadline around `around`.
    year = to_local_date(around, region.time_zone).year
    calendar = working_calendar(session, years=range(year - 1, year + 2))
    return RegionClock(time_zone=region.time_zone, calendar=calendar)

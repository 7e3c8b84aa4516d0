"""The Life Room: complaint and permit figures per agency and category, summed in SQL.

The complaint figures come from the tallies (``backend.stats.models``), which hold them already
summed per local day, agency and category: each figure is a GROUP BY over a few rows per day of
the period, however many complaints there are. Medians and 90th percentiles come from the
histogram of working days to resolution, which gives them exactly.

Times to resolve are in working days, like the deadlines: weekends, the national holidays and
the region's overrides do not count, nor do the days the clock stood still waiting on the
reporter.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from backend.complaints.deadlines import reopen_expired
from backend.complaints.models import Complaint
from backend.permits.models import PermitApplication
from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.region.service import region_snapshot
from backend.stats.grid import cell_degrees, cell_range, sql_grid_cell
from backend.stats.models import (
    DENSITY_ZOOM,
    DensityTally,
    FiledTally,
    ResolutionTally,
    ResolvedTally,
    RunningTally,
)
from backend.stats.schemas import (
    ComplaintFigures,
    Dashboard,
    DensityCell,
    DensityGrid,
    Period,
    PermitsIssued,
    Week,
)
from backend.stats.sql import Sql
from shared.complaints import ComplaintStatus
from shared.validators import BoundingBox
from shared.workdays import local_day_start, to_local_date

MAX_DENSITY_CELLS = 10_000
ONE_DAY = dt.timedelta(days=1)


def percentile(histogram: Counter[int], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont`` of the values a histogram ({value: copies}) counts:
    interpolated between the values at positions floor(p(n-1)) and the next of the sorted list.
    """
    n = sum(histogram.values())
    if not n:
        return None
    position = fraction * (n - 1)
    lower = int(position)
    below, found = 0, {}
    for value in sorted(histogram):
        copies = histogram[value]
        for index in (lower, lower + 1):
            if below <= index < below + copies:
                found[index] = value
        below += copies
    upper = found.get(lower + 1, found[lower])
    return round(found[lower] + (upper - found[lower]) * (position - lower), 1)


@dataclass
class _Tally:
    """Complaint counts of one agency, category or the city, summed from grouped rows."""

    received: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    resolved: int = 0
    on_time: int = 0
    rating_sum: int = 0
    ratings: int = 0
    overdue: int = 0
    working_days: Counter[int] = field(default_factory=Counter)  # working days to resolve: copies

    def figures(self, *, code: str | None, name: str | None) -> ComplaintFigures:
        return ComplaintFigures(
            code=code,
            name=name,
            received=self.received,
            by_status={status: n for status, n in sorted(self.by_status.items()) if n},
            resolved=self.resolved,
            resolved_on_time=self.on_time,
            on_time_share=round(self.on_time / self.resolved, 3) if self.resolved else None,
            median_working_days=percentile(self.working_days, 0.5),
            p90_working_days=percentile(self.working_days, 0.9),
            overdue_now=self.overdue,
            rating_average=round(self.rating_sum / self.ratings, 2) if self.ratings else None,
            ratings=self.ratings,
        )


class _Tallies:
    """The tallies of every agency, every category and the city, filled row by row."""

    def __init__(self) -> None:
        self.agencies: dict[int, _Tally] = {}
        self.categories: dict[int, _Tally] = {}
        self.total = _Tally()

    def of(self, agency_id: int, category_id: int) -> list[_Tally]:
        return [
            self.agencies.setdefault(agency_id, _Tally()),
            self.categories.setdefault(category_id, _Tally()),
            self.total,
        ]


# The tallies, and complaints themselves: each row belongs to one agency.
_Tallied = type[
    FiledTally | ResolutionTally | RunningTally | ResolvedTally | DensityTally | Complaint
]


def _in_scope(tally: _Tallied, agency: Agency | None) -> list[ColumnElement[bool]]:
    return [col(tally.agency_id) == agency.id] if agency else []


def dashboard(
    session: Session,
    *,
    period: Period,
    agency: Agency | None,
    language: str,
    now: dt.datetime,
) -> Dashboard:
    """The figures of complaints filed in `period` (and of permits issued in it), for one
    agency or, with `agency` None, the whole city. "Overdue now" counts every open complaint
    past its deadline, whenever it was filed."""
    region = region_snapshot(session)
    tallies = _Tallies()
    filed_in_period = col(FiledTally.filed_on).between(period.start, period.end)
    counts = (
        sa.select(
            col(FiledTally.agency_id),
            col(FiledTally.category_id),
            col(FiledTally.status),
            func.sum(FiledTally.complaints),
            func.sum(FiledTally.resolved),
            func.sum(FiledTally.resolved_on_time),
            func.sum(FiledTally.rating_sum),
            func.sum(FiledTally.ratings),
        )
        .where(*_in_scope(FiledTally, agency), filed_in_period)
        .group_by(col(FiledTally.agency_id), col(FiledTally.category_id), col(FiledTally.status))
        .having(func.sum(FiledTally.complaints) > 0)
    )
    for agency_id, category_id, status, *numbers in session.execute(counts):
        received, resolved, on_time, rating_sum, ratings = numbers
        for tally in tallies.of(agency_id, category_id):
            tally.received += received
            tally.by_status[status] += received
            tally.resolved += resolved
            tally.on_time += on_time
            tally.rating_sum += rating_sum
            tally.ratings += ratings

    resolution = ResolutionTally
    times = (
        select(
            resolution.agency_id,
            resolution.category_id,
            resolution.working_days,
            func.sum(resolution.complaints),
        )
        .where(
            *_in_scope(resolution, agency),
            col(resolution.filed_on).between(period.start, period.end),
        )
        .group_by(
            col(resolution.agency_id), col(resolution.category_id), col(resolution.working_days)
        )
        .having(func.sum(resolution.complaints) > 0)
    )
    for agency_id, category_id, working_days, copies in session.exec(times):
        for tally in tallies.of(agency_id, category_id):
            tally.working_days[working_days] += copies

    since = local_day_start(period.start, region.time_zone)
    until = local_day_start(period.end + ONE_DAY, region.time_zone)
    # The tallies move a complaint to closed when `close_expired` records it; until then it
    # already reads as closed everywhere else, so here too.
    reopen_window = dt.timedelta(days=region.reopen_window_days)
    closed_unrecorded = (
        select(Complaint.agency_id, Complaint.category_id, func.count())
        .where(
            reopen_expired(now, reopen_window),
            *_in_scope(Complaint, agency),
            col(Complaint.created_at) >= since,
            col(Complaint.created_at) < until,
        )
        .group_by(col(Complaint.agency_id), col(Complaint.category_id))
    )
    for agency_id, category_id, count in session.exec(closed_unrecorded):
        for tally in tallies.of(agency_id, category_id):
            tally.by_status[ComplaintStatus.RESOLVED.value] -= count
            tally.by_status[ComplaintStatus.CLOSED.value] += count

    today = to_local_date(now, region.time_zone)
    overdue = (
        select(RunningTally.agency_id, RunningTally.category_id, func.sum(RunningTally.complaints))
        .where(*_in_scope(RunningTally, agency), col(RunningTally.due_date) < today)
        .group_by(col(RunningTally.agency_id), col(RunningTally.category_id))
        .having(func.sum(RunningTally.complaints) > 0)
    )
    for agency_id, category_id, count in session.exec(overdue):
        for tally in tallies.of(agency_id, category_id):
            tally.overdue += count

    agency_rows = {a.id: a for a in session.exec(select(Agency))}
    category_rows = {c.id: c for c in session.exec(select(ComplaintCategory))}

    def breakdown(
        by_id: dict[int, _Tally], rows: Mapping[int, Agency | ComplaintCategory]
    ) -> list[ComplaintFigures]:
        ordered = sorted(by_id, key=lambda row_id: (rows[row_id].position, row_id))
        return [
            by_id[row_id].figures(
                code=rows[row_id].code, name=rows[row_id].name.in_language(language)
            )
            for row_id in ordered
        ]

    return Dashboard(
        period=period,
        agency_code=agency.code if agency else None,
        agency_name=agency.name.in_language(language) if agency else None,
        total=tallies.total.figures(code=None, name=None),
        by_agency=breakdown(tallies.agencies, agency_rows),
        by_category=breakdown(tallies.categories, category_rows),
        weeks=_weeks(session, period=period, agency=agency),
        permits_issued=_permits_issued(
            session, agency=agency, since=since, until=until, language=language
        ),
    )


def _weeks(session: Session, *, period: Period, agency: Agency | None) -> list[Week]:
    """Complaints received and resolved per local week (from Monday) of the period."""
    weeks: dict[dt.date, Week] = {}

    def count(attribute: str, days: Iterable[tuple[dt.date, int]]) -> None:
        for day, complaints in days:
            if not complaints:
                continue
            monday = day - dt.timedelta(days=day.weekday())
            week = weeks.setdefault(monday, Week(week_start=monday, received=0, resolved=0))
            setattr(week, attribute, getattr(week, attribute) + complaints)

    for attribute, tally, day in (
        ("received", FiledTally, FiledTally.filed_on),
        ("resolved", ResolvedTally, ResolvedTally.resolved_on),
    ):
        per_day = (
            select(col(day), func.sum(tally.complaints))
            .where(*_in_scope(tally, agency), col(day).between(period.start, period.end))
            .group_by(col(day))
        )
        count(attribute, session.exec(per_day))
    return [weeks[monday] for monday in sorted(weeks)]


def _permits_issued(
    session: Session,
    *,
    agency: Agency | None,
    since: dt.datetime,
    until: dt.datetime,
    language: str,
) -> list[PermitsIssued]:
    issued = (
        select(PermitApplication.permit_type_id, func.count())
        .where(col(PermitApplication.issued_at) >= since, col(PermitApplication.issued_at) < until)
        .group_by(col(PermitApplication.permit_type_id))
    )
    if agency is not None:
        issued = issued.where(PermitApplication.agency_id == agency.id)
    counts = dict(session.exec(issued).all())
    types = session.exec(select(PermitType).where(col(PermitType.id).in_(counts))).all()
    return [
        PermitsIssued(
            permit_type_code=permit_type.code,
            name=permit_type.name.in_language(language),
            issued=counts[permit_type.id],
        )
        for permit_type in sorted(types, key=lambda t: (t.position, t.id))
    ]


def density(
    session: Session, *, box: BoundingBox, zoom: int, period: Period, agency: Agency | None
) -> DensityGrid:
    """Complaints filed in `period`, counted per grid cell (``backend.stats.grid``) for every
    cell that `box` touches; a cell counts all of its complaints, also those outside the box.

    Up to ``DENSITY_ZOOM`` the cells are sums of the density tally's; finer cells (a box of a
    few streets, as the view's cell limit allows) are counted from the complaints themselves.
    """
    size = cell_degrees(zoom)
    first_row, last_row = cell_range(box.min_lat, box.max_lat, zoom, origin=90)
    first_column, last_column = cell_range(box.min_lon, box.max_lon, zoom, origin=180)
    if zoom <= DENSITY_ZOOM:
        factor = 2 ** (DENSITY_ZOOM - zoom)  # tally cells per cell, in each direction
        tally_row, tally_column = DensityTally.cell_row, DensityTally.cell_column
        row, column = (tally_row // factor).label("row"), (tally_column // factor).label("column")
        statement = select(row, column, func.sum(DensityTally.complaints)).where(
            col(DensityTally.filed_on).between(period.start, period.end),
            col(tally_row).between(first_row * factor, (last_row + 1) * factor - 1),
            col(tally_column).between(first_column * factor, (last_column + 1) * factor - 1),
            *_in_scope(DensityTally, agency),
        )
    else:
        region = region_snapshot(session)
        row, column = sql_grid_cell(Sql(session.get_bind().dialect.name, region.time_zone), zoom)
        row, column = row.label("row"), column.label("column")
        statement = select(row, column, func.count()).where(
            col(Complaint.latitude) >= first_row * size - 90,
            col(Complaint.latitude) < (last_row + 1) * size - 90,
            col(Complaint.longitude) >= first_column * size - 180,
            col(Complaint.longitude) < (last_column + 1) * size - 180,
            col(Complaint.created_at) >= local_day_start(period.start, region.time_zone),
            col(Complaint.created_at) < local_day_start(period.end + ONE_DAY, region.time_zone),
            *_in_scope(Complaint, agency),
        )
    cells = [
        DensityCell(south=r * size - 90, west=c * size - 180, count=count)
        for r, c, count in session.exec(statement.group_by(row, column).order_by(row, column))
        if count
    ]
    return DensityGrid(cell_degrees=size, cells=cells)

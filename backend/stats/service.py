"""The Life Room: complaint and permit figures per agency and category, aggregated in SQL.

Nothing here loops over complaints in Python: each figure is a GROUP BY whose result has at
most (agencies x categories x statuses) rows, which are then summed up per agency, per
category and for the city. Medians and 90th percentiles come from the database too:
``percentile_cont`` on PostgreSQL (one pass with GROUPING SETS), and on SQLite (which lacks
it) the same interpolation over running counts (``sum() over``) of each distinct value.

Times to resolve are in working days, like the deadlines: weekends, the national holidays and
the region's overrides do not count, nor do the days the clock stood still waiting on the
reporter. Local dates use the region's time zone; Indonesia's zones (WIB, WITA, WIT) have no
daylight saving, which lets SQLite, without time-zone data, use a fixed offset.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, case, cast, func, tuple_
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session, col, select

from backend.complaints.models import Complaint, ComplaintPause
from backend.permits.models import PermitApplication
from backend.region import service as region_service
from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.stats.schemas import (
    ComplaintFigures,
    Dashboard,
    DensityCell,
    DensityGrid,
    Period,
    PermitsIssued,
    Week,
)
from shared.complaints import CLOCK_PAUSED_STATUSES, OPEN_STATUSES
from shared.validators import BoundingBox
from shared.workdays import local_day_start, to_local_date

# Counted against their deadline: open, and not waiting on the reporter.
RUNNING_STATUSES = sorted(OPEN_STATUSES - CLOCK_PAUSED_STATUSES)
_EPOCH = dt.date(1970, 1, 1)  # a Thursday: day number n is a Monday when (n + 3) % 7 == 0
MAX_DENSITY_CELLS = 10_000


@dataclass(frozen=True)
class Sql:
    """SQL expressions that differ between the engines: local calendar dates of UTC timestamps
    in the region's time zone, and a little arithmetic."""

    dialect: str
    time_zone: str

    @property
    def _postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def _offset(self) -> str:
        offset = ZoneInfo(self.time_zone).utcoffset(dt.datetime(2000, 1, 1))
        return f"{int(offset.total_seconds()):+d} seconds"

    def date(self, timestamp) -> ColumnElement:
        if self._postgres:
            return cast(func.timezone(self.time_zone, timestamp), Date)
        return func.date(timestamp, self._offset, type_=Date)

    def week_start(self, timestamp) -> ColumnElement:
        """The Monday of the timestamp's local week."""
        if self._postgres:
            return cast(func.date_trunc("week", func.timezone(self.time_zone, timestamp)), Date)
        return func.date(timestamp, self._offset, "weekday 0", "-6 days", type_=Date)

    def day_number(self, timestamp) -> ColumnElement:
        """Days from 1970-01-01 to the timestamp's local date."""
        if self._postgres:
            seconds = func.extract("epoch", func.timezone(self.time_zone, timestamp))
            return cast(func.floor(seconds / 86400), Integer)
        return cast(func.julianday(timestamp, self._offset) - 2440587.5, Integer)

    def least(self, a, b) -> ColumnElement:
        return func.least(a, b) if self._postgres else func.min(a, b)

    def floor(self, value) -> ColumnElement:
        """The integer at or below a non-negative `value` (PostgreSQL's cast would round)."""
        return cast(func.floor(value) if self._postgres else value, Integer)


def working_ordinal(sql: Sql, timestamp, holidays: list[int]) -> ColumnElement:
    """How many working days there are up to the timestamp's local date, counted from a fixed
    Monday; the difference of two is ``WorkingCalendar.working_days_between``.

    Weekdays are counted arithmetically (five per whole week), and weekday holidays (`holidays`,
    as day numbers) subtracted.
    """
    day = sql.day_number(timestamp)
    days_from_monday = day + 4  # from Monday 1969-12-29 up to and including the date
    weekdays = (days_from_monday // 7) * 5 + sql.least(days_from_monday % 7, 5)
    holidays_so_far = sum((case((day >= h, 1), else_=0) for h in holidays), start=0)
    return weekdays - holidays_so_far


Times = dict[str | None, dict[int | None, tuple[float, float]]]
GROUPINGS = ("agency_id", "category_id", None)  # per agency, per category, the whole city


def percentiles(session: Session, base: Subquery) -> Times:
    """(median, 90th percentile) of ``base.c.taken``, per agency, per category and overall:
    ``{"agency_id": {agency id: (median, p90)}, "category_id": {...}, None: {None: (...)}}``."""
    if session.get_bind().dialect.name == "postgresql":
        return _percentile_cont(session, base)
    return {key: _percentiles_from_counts(session, base, key) for key in GROUPINGS}


def _rounded(median: float | None, p90: float | None) -> tuple[float, float] | None:
    return None if median is None else (round(median, 1), round(p90, 1))


def _percentile_cont(session: Session, base: Subquery) -> Times:
    # One pass for the three groupings: GROUPING() tells which grouping a row belongs to.
    agency, category = base.c.agency_id, base.c.category_id
    statement = select(
        agency,
        category,
        func.grouping(agency),
        func.grouping(category),
        func.percentile_cont(0.5).within_group(base.c.taken),
        func.percentile_cont(0.9).within_group(base.c.taken),
    ).group_by(func.grouping_sets(tuple_(agency), tuple_(category), tuple_()))
    times: Times = {key: {} for key in GROUPINGS}
    for agency_id, category_id, all_agencies, all_categories, median, p90 in session.exec(
        statement
    ):
        if all_agencies and all_categories:
            times[None][None] = _rounded(median, p90)
        elif all_categories:
            times["agency_id"][agency_id] = _rounded(median, p90)
        else:
            times["category_id"][category_id] = _rounded(median, p90)
    return times


def _percentiles_from_counts(
    session: Session, base: Subquery, key: str | None
) -> dict[int | None, tuple[float, float]]:
    """SQLite has no percentile_cont. Resolution times are a few dozen distinct whole days:
    count each value once, then running counts over those values say which value sits at any
    position of the sorted list, without sorting the complaints themselves."""
    keys = [base.c[key]] if key else []
    histogram = (
        select(*keys, base.c.taken, func.count().label("copies"))
        .group_by(*keys, base.c.taken)
        .subquery()
    )
    keys = [histogram.c[key]] if key else []
    running = select(
        *keys,
        histogram.c.taken,
        histogram.c.copies,
        func.sum(histogram.c.copies).over(partition_by=keys).label("n"),
        (
            func.sum(histogram.c.copies).over(partition_by=keys, order_by=histogram.c.taken)
            - histogram.c.copies
        ).label("first"),  # the position of the value's first copy
    ).subquery()

    def percentile(fraction: float) -> ColumnElement:
        # percentile_cont: between the values at floor(p(n-1)) and the next, interpolated.
        position = fraction * (running.c.n - 1)
        lower = cast(position, Integer)
        weight = position - lower

        def holds(index) -> ColumnElement:
            return (running.c.first <= index) & (index < running.c.first + running.c.copies)

        return func.sum(case((holds(lower), running.c.taken * (1 - weight)), else_=0)) + (
            func.sum(case((holds(lower + 1), running.c.taken * weight), else_=0))
        )

    keys = [running.c[key]] if key else []
    statement = select(*keys, percentile(0.5), percentile(0.9))
    if keys:
        statement = statement.group_by(*keys)
    result = {}
    for *group, median, p90 in session.exec(statement):
        if median is not None:
            result[group[0] if group else None] = _rounded(median, p90)
    return result


@dataclass
class _Tally:
    """Complaint counts of one agency, category or the city, summed from grouped rows."""

    received: int = 0
    by_status: Counter = field(default_factory=Counter)
    resolved: int = 0
    on_time: int = 0
    rating_sum: int = 0
    ratings: int = 0
    overdue: int = 0

    def figures(
        self, *, code: str | None, name: str | None, times: tuple[float, float] | None
    ) -> ComplaintFigures:
        median, p90 = times or (None, None)
        return ComplaintFigures(
            code=code,
            name=name,
            received=self.received,
            by_status=dict(sorted(self.by_status.items())),
            resolved=self.resolved,
            resolved_on_time=self.on_time,
            on_time_share=round(self.on_time / self.resolved, 3) if self.resolved else None,
            median_working_days=median,
            p90_working_days=p90,
            overdue_now=self.overdue,
            rating_average=round(self.rating_sum / self.ratings, 2) if self.ratings else None,
            ratings=self.ratings,
        )


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
    region = region_service.get_region(session)
    sql = Sql(session.get_bind().dialect.name, region.time_zone)
    today = to_local_date(now, region.time_zone)
    since = local_day_start(period.start, region.time_zone)
    until = local_day_start(period.end + dt.timedelta(days=1), region.time_zone)
    in_scope = [Complaint.agency_id == agency.id] if agency else []
    filed = [*in_scope, col(Complaint.created_at) >= since, col(Complaint.created_at) < until]

    agencies, categories, total = {}, {}, _Tally()

    def tallies(agency_id: int, category_id: int) -> list[_Tally]:
        return [
            agencies.setdefault(agency_id, _Tally()),
            categories.setdefault(category_id, _Tally()),
            total,
        ]

    on_time = case((sql.date(Complaint.resolved_at) <= Complaint.due_date, 1), else_=0)
    counts = select(
        Complaint.agency_id,
        Complaint.category_id,
        Complaint.status,
        func.count(),
        func.count(Complaint.resolved_at),
        func.coalesce(func.sum(on_time), 0),
        func.coalesce(func.sum(Complaint.rating), 0),
        func.count(Complaint.rating),
    ).where(*filed)
    grouping = (Complaint.agency_id, Complaint.category_id, Complaint.status)
    for agency_id, category_id, status, *numbers in session.exec(counts.group_by(*grouping)):
        received, resolved, punctual, rating_sum, ratings = numbers
        for tally in tallies(agency_id, category_id):
            tally.received += received
            tally.by_status[status] += received
            tally.resolved += resolved
            tally.on_time += punctual
            tally.rating_sum += rating_sum
            tally.ratings += ratings

    overdue = (
        select(Complaint.agency_id, Complaint.category_id, func.count())
        .where(
            *in_scope,
            col(Complaint.status).in_(RUNNING_STATUSES),
            col(Complaint.due_date) < today,
        )
        .group_by(Complaint.agency_id, Complaint.category_id)
    )
    for agency_id, category_id, count in session.exec(overdue):
        for tally in tallies(agency_id, category_id):
            tally.overdue += count

    taken = _resolution_times(session, sql=sql, filed=filed, start=period.start, today=today)
    times = percentiles(session, taken)

    agency_rows = {a.id: a for a in session.exec(select(Agency))}
    category_rows = {c.id: c for c in session.exec(select(ComplaintCategory))}

    def breakdown(by_id: dict[int, _Tally], rows: dict, key: str) -> list[ComplaintFigures]:
        ordered = sorted(by_id, key=lambda row_id: (rows[row_id].position, row_id))
        return [
            by_id[row_id].figures(
                code=rows[row_id].code,
                name=rows[row_id].name.in_language(language),
                times=times[key].get(row_id),
            )
            for row_id in ordered
        ]

    return Dashboard(
        period=period,
        agency_code=agency.code if agency else None,
        total=total.figures(code=None, name=None, times=times[None].get(None)),
        by_agency=breakdown(agencies, agency_rows, "agency_id"),
        by_category=breakdown(categories, category_rows, "category_id"),
        weeks=_weeks(session, sql=sql, in_scope=in_scope, since=since, until=until),
        permits_issued=_permits_issued(
            session, agency=agency, since=since, until=until, language=language
        ),
    )


def _resolution_times(
    session: Session, *, sql: Sql, filed: list, start: dt.date, today: dt.date
) -> Subquery:
    """Resolved complaints of the period with ``taken``: working days from filing to resolution,
    less the working days paused waiting on the reporter."""
    calendar = region_service.working_calendar(session, years=range(start.year, today.year + 1))
    holidays = sorted(
        (day - _EPOCH).days
        for day in calendar.holidays
        if start <= day <= today and day.weekday() not in calendar.weekend
    )
    paused = (
        select(
            ComplaintPause.complaint_id,
            func.coalesce(func.sum(ComplaintPause.working_days), 0).label("days"),
        )
        .group_by(ComplaintPause.complaint_id)
        .subquery()
    )
    taken = (
        working_ordinal(sql, Complaint.resolved_at, holidays)
        - working_ordinal(sql, Complaint.created_at, holidays)
        - func.coalesce(paused.c.days, 0)
    )
    return (
        select(Complaint.agency_id, Complaint.category_id, taken.label("taken"))
        .outerjoin(paused, paused.c.complaint_id == Complaint.id)
        .where(*filed, col(Complaint.resolved_at).is_not(None))
        .subquery()
    )


def _weeks(
    session: Session, *, sql: Sql, in_scope: list, since: dt.datetime, until: dt.datetime
) -> list[Week]:
    """Complaints received and resolved per local week of the period."""
    weeks: dict[dt.date, Week] = {}
    for column, attribute in (
        (Complaint.created_at, "received"),
        (Complaint.resolved_at, "resolved"),
    ):
        week = sql.week_start(column).label("week")
        statement = (
            select(week, func.count())
            .where(*in_scope, col(column) >= since, col(column) < until)
            .group_by(week)
        )
        for week_start, count in session.exec(statement):
            entry = weeks.setdefault(
                week_start, Week(week_start=week_start, received=0, resolved=0)
            )
            setattr(entry, attribute, count)
    return [weeks[week_start] for week_start in sorted(weeks)]


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
        .group_by(PermitApplication.permit_type_id)
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


def cell_degrees(zoom: int) -> float:
    """Cells are a quarter of a 256-pixel web-map tile wide at `zoom`."""
    return 360 / 2**zoom / 4


def density(
    session: Session,
    *,
    box: BoundingBox,
    zoom: int,
    since: dt.datetime,
    until: dt.datetime,
    agency: Agency | None,
) -> DensityGrid:
    """Complaints filed between `since` and `until` inside `box`, counted per grid cell.

    Cells are fixed to the globe (not to the box), so panning the map keeps them in place.
    """
    size = cell_degrees(zoom)
    sql = Sql(session.get_bind().dialect.name, region_service.get_region(session).time_zone)
    # Counted from the south pole and the antimeridian, so the values are never negative.
    row = sql.floor((Complaint.latitude + 90) / size).label("row")
    column = sql.floor((Complaint.longitude + 180) / size).label("column")
    statement = (
        select(row, column, func.count())
        .where(
            col(Complaint.latitude).between(box.min_lat, box.max_lat),
            col(Complaint.longitude).between(box.min_lon, box.max_lon),
            col(Complaint.created_at) >= since,
            col(Complaint.created_at) < until,
        )
        .group_by(row, column)
    )
    if agency is not None:
        statement = statement.where(Complaint.agency_id == agency.id)
    cells = [
        DensityCell(south=r * size - 90, west=c * size - 180, count=count)
        for r, c, count in session.exec(statement.order_by(row, column))
    ]
    return DensityGrid(cell_degrees=size, cells=cells)

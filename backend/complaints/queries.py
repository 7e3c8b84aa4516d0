"""Lists of complaints: an agency's queue, a reporter's own, the public feed, map and nearby.

Every list is keyset-paginated (or capped) and backed by an index; none scans by offset.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Row, exists
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.accounts.models import User
from backend.complaints import access, service
from backend.complaints.deadlines import RegionClock
from backend.complaints.models import Complaint, ComplaintPause
from backend.complaints.views import Catalogue
from backend.db import table_of, utcnow
from backend.pagination import after_cursor, page_of
from shared.complaints import CLOCK_PAUSED_STATUSES, OPEN_STATUSES, ComplaintStatus
from shared.validators import BoundingBox, haversine_m

DueFilter = Literal["overdue", "due_soon"]
AssigneeFilter = Literal["me", "unassigned"]

NEARBY_DAYS = 30  # likely duplicates are complaints of the last 30 days
METRES_PER_DEGREE = 111_320  # along a meridian; along a parallel, times cos(latitude)

_RUNNING_CLOCK = OPEN_STATUSES - CLOCK_PAUSED_STATUSES


def _category_id(session: Session, code: str) -> int:
    # An unknown code simply matches nothing (-1 is never an id).
    return Catalogue.load(session).category_id(code)


# What a line of a queue or of "my complaints" shows, read with plain table columns: Core rows,
# no ORM objects to build and track. `has_pauses` spares the pause lookup for those never paused.
_c = table_of(Complaint).c
SUMMARY_COLUMNS = (
    _c.id,
    _c.tracking_number,
    _c.status,
    _c.title,
    _c.category_id,
    _c.agency_id,
    _c.assignee_id,
    _c.due_date,
    _c.created_at,
    _c.updated_at,
    _c.resolved_at,  # a resolved complaint past its reopen window reads as closed
    exists().where(table_of(ComplaintPause).c.complaint_id == _c.id).label("has_pauses"),
)


@dataclass(frozen=True)
class QueueFilters:
    status: ComplaintStatus | None = None  # None: every open status
    category: str | None = None
    due: DueFilter | None = None
    assignee: AssigneeFilter | None = None


def agency_queue(
    session: Session,
    *,
    staff: User,
    filters: QueueFilters,
    clock: RegionClock,
    now: dt.datetime,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row[Any]], str | None]:
    """The staff member's agency's complaints, by deadline and then age: one query walking the
    (agency, due date, id) index from the cursor."""
    statement = sa.select(*SUMMARY_COLUMNS).where(access.handled_by(staff))
    if filters.status is not None:
        statement = statement.where(clock.status_column(now) == filters.status)
    else:
        statement = statement.where(_c.status.in_(OPEN_STATUSES))
    if filters.category is not None:
        statement = statement.where(_c.category_id == _category_id(session, filters.category))
    if filters.due is not None:
        today = clock.local_date(now)
        statement = statement.where(_c.status.in_(_RUNNING_CLOCK))
        if filters.due == "overdue":
            statement = statement.where(_c.due_date < today)
        else:
            statement = statement.where(
                _c.due_date >= today, _c.due_date <= clock.due_soon_limit(now)
            )
    if filters.assignee == "me":
        statement = statement.where(_c.assignee_id == staff.id)
    elif filters.assignee == "unassigned":
        statement = statement.where(_c.assignee_id.is_(None))
    statement = after_cursor(statement, [_c.due_date, _c.id], cursor)
    rows = list(session.execute(statement.limit(limit + 1)))
    return page_of(rows, limit=limit, key=lambda c: (c.due_date.isoformat(), c.id))


def reporters_complaints(
    session: Session, *, reporter: User, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """A reporter's own complaints, newest first."""
    statement = sa.select(*SUMMARY_COLUMNS).where(access.reported_by(reporter))
    statement = after_cursor(statement, [_c.id], cursor, descending=True)
    rows = list(session.execute(statement.limit(limit + 1)))
    return page_of(rows, limit=limit, key=lambda c: (c.id,))


# --- Public ---


@dataclass(frozen=True)
class PublicFilters:
    bbox: BoundingBox | None = None
    category: str | None = None
    status: ComplaintStatus | None = None
    since: dt.date | None = None  # local dates, inclusive
    until: dt.date | None = None


def _public_statement(
    session: Session, filters: PublicFilters, time_zone: str
) -> SelectOfScalar[Complaint]:
    statement = select(Complaint).where(access.public())
    if filters.bbox is not None:
        box = filters.bbox
        statement = statement.where(
            col(Complaint.latitude).between(box.min_lat, box.max_lat),
            col(Complaint.longitude).between(box.min_lon, box.max_lon),
        )
    if filters.category is not None:
        statement = statement.where(
            Complaint.category_id == _category_id(session, filters.category)
        )
    if filters.status is not None:
        now = utcnow()
        as_read = service.clock_for(session, now=now).status_column(now)
        statement = statement.where(as_read == filters.status)
    zone = ZoneInfo(time_zone)
    if filters.since is not None:
        start = dt.datetime.combine(filters.since, dt.time(), zone)
        statement = statement.where(col(Complaint.created_at) >= start)
    if filters.until is not None:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time(), zone)
        statement = statement.where(col(Complaint.created_at) < end)
    return statement


def public_feed(
    session: Session, *, filters: PublicFilters, time_zone: str, cursor: str | None, limit: int
) -> tuple[list[Complaint], str | None]:
    """Public complaints, newest first."""
    statement = _public_statement(session, filters, time_zone)
    statement = after_cursor(statement, [Complaint.id], cursor, descending=True)
    rows = list(session.exec(statement.limit(limit + 1)))
    return page_of(rows, limit=limit, key=lambda c: (c.id,))


def public_map(
    session: Session, *, filters: PublicFilters, time_zone: str, limit: int
) -> list[Complaint]:
    """The newest `limit` public complaints matching the filters, for a map layer."""
    statement = _public_statement(session, filters, time_zone)
    return list(session.exec(statement.order_by(col(Complaint.id).desc()).limit(limit)))


def nearby_open(
    session: Session,
    *,
    caller: User | None,
    category: str,
    latitude: float,
    longitude: float,
    radius_m: float,
    now: dt.datetime,
    limit: int = 20,
) -> list[tuple[Complaint, float, bool]]:
    """Likely duplicates: open public complaints of the category within `radius_m`, nearest
    first, each with its distance and whether `caller` reported it.

    A bounding box around the point narrows the candidates on the indexed coordinate columns;
    the exact great-circle distance then decides.
    """
    lat_margin = radius_m / METRES_PER_DEGREE
    lon_margin = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 1e-6))
    statement = select(Complaint, access.reported_by(caller).label("yours")).where(
        access.public(),
        Complaint.category_id == _category_id(session, category),
        col(Complaint.status).in_(OPEN_STATUSES),
        col(Complaint.created_at) >= now - dt.timedelta(days=NEARBY_DAYS),
        col(Complaint.latitude).between(latitude - lat_margin, latitude + lat_margin),
        col(Complaint.longitude).between(longitude - lon_margin, longitude + lon_margin),
    )
    candidates = []
    for complaint, yours in session.exec(statement):
        distance = haversine_m(latitude, longitude, complaint.latitude, complaint.longitude)
        candidates.append((complaint, distance, bool(yours)))
    within = sorted((found for found in candidates if found[1] <= radius_m), key=lambda f: f[1])
    return within[:limit]

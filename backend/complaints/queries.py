"""Lists of complaints: an agency's queue, a reporter's own, the public feed, map and nearby.

Every list is keyset-paginated (or capped) and backed by an index; none scans by offset.
"""

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Row, Select, bindparam, exists
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.accounts.models import User
from backend.callers import RoleOnly, caller_id, parameters
from backend.complaints import access, service
from backend.complaints.deadlines import RegionClock, status_as_read
from backend.complaints.models import Complaint, ComplaintPause
from backend.complaints.views import Catalogue
from backend.db import table_of, utcnow
from backend.pagination import after_bound, after_cursor, bound_cursor, page_of
from shared.complaints import CLOCK_PAUSED_STATUSES, OPEN_STATUSES, ComplaintStatus
from shared.roles import Role
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


# The lists' statements are built once per role and shape of filter (a few dozen at most) from
# the access rules, with the caller (`parameters`) and every other value bound at execution:
# building one costs more than running it against an index.
_QUEUE_ORDER = (_c.due_date, _c.id)
_MINE_ORDER = (_c.id,)


@cache
def _queue_statement(
    *,
    role: Role,
    status: bool,
    category: bool,
    due: DueFilter | None,
    assignee: AssigneeFilter | None,
    after: bool,
) -> Select[Any]:
    caller = RoleOnly(role)
    statement = sa.select(*SUMMARY_COLUMNS).where(access.handled_by(caller))
    if status:
        statement = statement.where(
            status_as_read(bindparam("reopen_ended")) == bindparam("status")
        )
    else:
        statement = statement.where(_c.status.in_(OPEN_STATUSES))
    if category:
        statement = statement.where(_c.category_id == bindparam("category_id"))
    if due is not None:
        statement = statement.where(_c.status.in_(_RUNNING_CLOCK))
        if due == "overdue":
            statement = statement.where(_c.due_date < bindparam("today"))
        else:
            statement = statement.where(
                _c.due_date >= bindparam("today"), _c.due_date <= bindparam("due_soon_limit")
            )
    if assignee == "me":
        statement = statement.where(_c.assignee_id == caller_id(caller))
    elif assignee == "unassigned":
        statement = statement.where(_c.assignee_id.is_(None))
    if after:
        statement = statement.where(after_bound(_QUEUE_ORDER))
    return statement.order_by(*_QUEUE_ORDER).limit(bindparam("rows"))


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
    statement = _queue_statement(
        role=staff.role,
        status=filters.status is not None,
        category=filters.category is not None,
        due=filters.due,
        assignee=filters.assignee,
        after=bool(cursor),
    )
    values: dict[str, Any] = parameters(staff) | {"rows": limit + 1}
    if filters.status is not None:
        values |= {"status": filters.status, "reopen_ended": now - clock.reopen_window}
    if filters.category is not None:
        values["category_id"] = _category_id(session, filters.category)
    if filters.due is not None:
        values |= {"today": clock.local_date(now), "due_soon_limit": clock.due_soon_limit(now)}
    if cursor:
        values |= bound_cursor(_QUEUE_ORDER, cursor)
    rows = list(session.connection().execute(statement, values))
    return page_of(rows, limit=limit, key=lambda c: (c.due_date.isoformat(), c.id))


@cache
def _mine_statement(*, role: Role, after: bool) -> Select[Any]:
    statement = sa.select(*SUMMARY_COLUMNS).where(access.reported_by(RoleOnly(role)))
    if after:
        statement = statement.where(after_bound(_MINE_ORDER, descending=True))
    return statement.order_by(_c.id.desc()).limit(bindparam("rows"))


def reporters_complaints(
    session: Session, *, reporter: User, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """A reporter's own complaints, newest first."""
    values: dict[str, Any] = parameters(reporter) | {"rows": limit + 1}
    if cursor:
        values |= bound_cursor(_MINE_ORDER, cursor)
    statement = _mine_statement(role=reporter.role, after=bool(cursor))
    rows: list[Row[Any]] = list(session.connection().execute(statement, values))
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

"""Turning complaint rows into the response models, each list in a fixed number of queries."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from fastapi import Response
from sqlalchemy import ColumnElement, Row, Select, bindparam, func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.callers import RoleOnly, parameters
from backend.complaints import access, service
from backend.complaints.deadlines import RegionClock
from backend.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPause,
    ComplaintPhoto,
    ComplaintSupporter,
)
from backend.complaints.schemas import (
    ComplaintDetail,
    ComplaintSummary,
    MapFeature,
    MapProperties,
    PhotoRef,
    PointGeometry,
    PublicComplaint,
    PublicComplaintDetail,
    Ref,
)
from backend.db import table_of, utcnow
from backend.microcache import Scope, remember
from backend.notifications.models import Notification
from backend.pagination import Page
from backend.region.models import Agency, ComplaintCategory
from backend.region.pack import LocalizedText
from backend.responses import rows_response
from shared.complaints import (
    CLOCK_PAUSED_STATUSES,
    COMPLAINT_MACHINE,
    OPEN_STATUSES,
    open311_status,
)
from shared.roles import STAFF_ROLES, Role

CATALOGUE_TABLES = frozenset({"agency", "complaint_category"})


class ComplaintLine(Protocol):
    """What a list line reads: a `Complaint`, or a `queries.SUMMARY_COLUMNS` row of the same
    names."""

    @property
    def id(self) -> int: ...
    @property
    def tracking_number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def resolved_at(self) -> dt.datetime | None: ...
    @property
    def title(self) -> str: ...
    @property
    def category_id(self) -> int: ...
    @property
    def agency_id(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def due_date(self) -> dt.date: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...


# The rows that belong to one complaint.
_Child = TypeVar("_Child", ComplaintEvent, ComplaintPause, ComplaintPhoto)


@dataclass(frozen=True)
class Catalogue:
    """Category and agency references by id: a few dozen short rows, read once per request
    (only the columns a reference needs, not the forms and opening hours)."""

    categories: dict[int, Ref]
    agencies: dict[int, Ref]

    @classmethod
    def load(cls, session: Session) -> "Catalogue":
        """Shared read-only between requests through the microcache (see `service`)."""

        def read() -> Catalogue:
            def references(model: type[ComplaintCategory] | type[Agency]) -> dict[int, Ref]:
                rows = session.exec(select(model.id, model.code, model.name_id, model.name_en))
                return {
                    id_: Ref(code=code, name=LocalizedText(id=name_id, en=name_en))
                    for id_, code, name_id, name_en in rows
                }

            return cls(categories=references(ComplaintCategory), agencies=references(Agency))

        return remember(session, "complaints.catalogue", read, tables=CATALOGUE_TABLES)

    def category_id(self, code: str) -> int:
        """The id of the category with this code, or -1 (never an id) when there is none."""
        return next((id_ for id_, ref in self.categories.items() if ref.code == code), -1)

    def category(self, complaint: ComplaintLine) -> Ref:
        return self.categories[complaint.category_id]

    def agency(self, complaint: ComplaintLine) -> Ref:
        return self.agencies[complaint.agency_id]


def _by_complaint(
    session: Session, model: type[_Child], ids: Sequence[int]
) -> dict[int, list[_Child]]:
    """Each complaint's rows of `model`, oldest first."""
    grouped: dict[int, list[_Child]] = defaultdict(list)
    if ids:
        statement = select(model).where(col(model.complaint_id).in_(ids)).order_by(col(model.id))
        rows = session.exec(statement)
        for row in rows:
            grouped[row.complaint_id].append(row)
    return grouped


def _users(session: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted)))}


def deadline(
    complaint: ComplaintLine,
    pauses: list[ComplaintPause],
    *,
    clock: RegionClock,
    now: dt.datetime,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The `Deadline` fields, as a plain dict. `today`, if given, is `clock.local_date(now)`
    worked out once for a whole list."""
    paused = complaint.status in CLOCK_PAUSED_STATUSES
    running = complaint.status in OPEN_STATUSES and not paused
    today = today or clock.local_date(now)
    return {
        "due_date": complaint.due_date,
        "overdue": running and today > complaint.due_date,
        "due_soon": running
        and today <= complaint.due_date <= clock.calendar.next_working_day(today),
        "clock_paused": paused,
        "pauses": [
            {"started_at": p.started_at, "ended_at": p.ended_at, "working_days": p.working_days}
            for p in pauses
        ],
    }


def photo_ref(photo: ComplaintPhoto) -> PhotoRef:
    url = f"/api/v1/complaints/{photo.complaint_id}/photos/{photo.id}"
    return PhotoRef(
        id=photo.id,
        url=url,
        thumbnail_url=f"{url}/thumbnail",
        width=photo.width,
        height=photo.height,
        from_staff=photo.from_staff,
    )


def _summary_fields(
    complaint: ComplaintLine,
    catalogue: Catalogue,
    pauses: list[ComplaintPause],
    *,
    clock: RegionClock,
    now: dt.datetime,
    today: dt.date | None = None,
) -> dict[str, Any]:
    status = clock.status_as_read(complaint, now)
    return {
        "id": complaint.id,
        "tracking_number": complaint.tracking_number,
        "status": status,
        "open311_status": open311_status(status),
        "title": complaint.title,
        "category": catalogue.category(complaint),
        "agency": catalogue.agency(complaint),
        "assignee_id": complaint.assignee_id,
        "deadline": deadline(complaint, pauses, clock=clock, now=now, today=today),
        "created_at": complaint.created_at,
        "updated_at": complaint.updated_at,
    }


def summaries(
    session: Session, rows: Sequence[Row[Any]], *, clock: RegionClock, now: dt.datetime
) -> list[dict[str, Any]]:
    """Lines of a list (`ComplaintSummary` fields, as plain dicts) from `queries.SUMMARY_COLUMNS`
    rows: the pauses of those ever paused are read in one query."""
    catalogue = Catalogue.load(session)
    paused = [row.id for row in rows if row.has_pauses]
    pauses = _by_complaint(session, ComplaintPause, paused)
    today = clock.local_date(now)
    return [
        _summary_fields(row, catalogue, pauses[row.id], clock=clock, now=now, today=today)
        for row in rows
    ]


SummaryPage = Page[ComplaintSummary]

COMPLAINTS = table_of(Complaint).name
# Written by every filing and action, and never shown in a list's lines: a kept list (a queue,
# "my complaints") is not dropped for them.
NOT_IN_SUMMARIES = (table_of(ComplaintEvent).name, table_of(Notification).name)


def detail_scopes(complaint_id: int) -> list[Scope]:
    """The rows a complaint's detail is read from, of the tables that hold every complaint's:
    its own row, and its timeline, pauses, photos and supporters. A kept detail stays kept
    through writes to other complaints (`backend.kept_answers.rows_of`)."""
    children = (ComplaintEvent, ComplaintPause, ComplaintPhoto, ComplaintSupporter)
    own = [(table_of(child).name, "complaint_id", complaint_id) for child in children]
    return [(COMPLAINTS, "id", complaint_id), *own]


# Written by filings and actions (the inbox entries they send), never shown in a detail.
NOT_IN_DETAIL = (table_of(Notification).name,)


def summary_page(
    session: Session,
    rows: Sequence[Row[Any]],
    next_cursor: str | None,
    *,
    clock: RegionClock,
    now: dt.datetime,
) -> Response:
    """A page of `summaries`, serialised once."""
    return rows_response(summaries(session, rows, clock=clock, now=now), next_cursor)


# A complaint's detail in a fixed number of prebuilt statements (built once per role and kept):
# the complaint with its people, duplicate and supporters, read through the access rule; its
# timeline as the caller may read it; its pauses and photos only when it has some.
_c = table_of(Complaint).c
_events = table_of(ComplaintEvent).c
_reporter = table_of(User).alias("reporter")
_assignee = table_of(User).alias("assignee")
_actor = table_of(User).alias("actor")
_original = table_of(Complaint).alias("original")


def _exists_for(model: type[ComplaintPause] | type[ComplaintPhoto]) -> ColumnElement[bool]:
    return sa.exists().where(table_of(model).c.complaint_id == _c.id)


@cache
def _detail_statement(role: Role | None) -> Select[Any]:
    """The complaint `complaint_id` with what its detail shows. With a `role`, only if the
    caller (`parameters`) may read it (`access.private_to`); without, for the writes, whose
    loader has decided already (after a forward the actor may no longer read it, yet sees the
    outcome)."""
    supporters = (
        sa.select(func.count())
        .where(table_of(ComplaintSupporter).c.complaint_id == _c.id)
        .scalar_subquery()
    )
    statement = (
        sa.select(
            *_c,
            _reporter.c.full_name.label("reporter_name"),
            _assignee.c.full_name.label("assignee_name"),
            _original.c.tracking_number.label("duplicate_of"),
            supporters.label("supporter_count"),
            _exists_for(ComplaintPause).label("has_pauses"),
            _exists_for(ComplaintPhoto).label("has_photos"),
        )
        .join(_reporter, _reporter.c.id == _c.reporter_id)
        .outerjoin(_assignee, _assignee.c.id == _c.assignee_id)
        .outerjoin(_original, _original.c.id == _c.duplicate_of_id)
        .where(_c.id == bindparam("complaint_id"))
    )
    if role is not None:
        statement = statement.where(access.private_to(RoleOnly(role)))
    return statement


@cache
def _timeline_statement(role: Role | None) -> Select[Any]:
    """The entries of complaint `complaint_id`'s timeline a caller of `role` (None: the public)
    reads, oldest first; staff see who made each, others only the role."""
    caller = RoleOnly(role) if role is not None else None
    named = role in STAFF_ROLES
    statement = sa.select(
        _events.id,
        _events.action,
        _events.from_status,
        _events.to_status,
        _events.note,
        _events.public,
        _events.actor_role,
        (_actor.c.full_name if named else sa.null()).label("actor_name"),
        _events.details,
        _events.created_at,
    )
    if named:
        statement = statement.outerjoin(_actor, _actor.c.id == _events.actor_id)
    return statement.where(
        _events.complaint_id == bindparam("complaint_id"), access.timeline_visible_to(caller)
    ).order_by(_events.id)


def _timeline(session: Session, complaint_id: int, viewer: User | None) -> list[dict[str, Any]]:
    """`TimelineEntry` fields, as plain dicts."""
    statement = _timeline_statement(viewer.role if viewer is not None else None)
    values = (parameters(viewer) if viewer is not None else {}) | {"complaint_id": complaint_id}
    return [row._asdict() for row in session.connection().execute(statement, values)]


def detail(
    session: Session,
    complaint_id: int,
    *,
    viewer: User,
    clock: RegionClock,
    now: dt.datetime,
    readable: bool = True,
) -> ComplaintDetail | None:
    """The complaint as its reporter or the responsible agency's staff see it; None when
    `readable` and the viewer may not read it (`access.private_to`), or when there is none.

    Staff see every event with names; the reporter sees the public timeline plus their own
    additions and answers.
    """
    statement = _detail_statement(viewer.role if readable else None)
    values = parameters(viewer) | {"complaint_id": complaint_id}
    complaint = session.connection().execute(statement, values).first()
    if complaint is None:
        return None
    pauses = (
        _by_complaint(session, ComplaintPause, [complaint_id])[complaint_id]
        if complaint.has_pauses
        else []
    )
    photos = service.photos_of(session, complaint_id=complaint_id) if complaint.has_photos else []
    fields = _summary_fields(complaint, Catalogue.load(session), pauses, clock=clock, now=now)
    return ComplaintDetail(
        **fields,
        description=complaint.description,
        address=complaint.address,
        latitude=complaint.latitude,
        longitude=complaint.longitude,
        answers=complaint.answers,
        anonymous=complaint.anonymous,
        confidential=complaint.confidential,
        reporter={"id": complaint.reporter_id, "full_name": complaint.reporter_name},
        assignee=(
            {"id": complaint.assignee_id, "full_name": complaint.assignee_name}
            if complaint.assignee_id
            else None
        ),
        duplicate_of=complaint.duplicate_of,
        resolved_at=complaint.resolved_at,
        resolution_working_days=complaint.resolution_working_days,
        reopen_until=clock.reopen_until(complaint) if fields["status"] != "closed" else None,
        rating=complaint.rating,
        rating_comment=complaint.rating_comment,
        supporter_count=complaint.supporter_count,
        photos=[photo_ref(p) for p in photos],
        timeline=_timeline(session, complaint_id, viewer),
        allowed_actions=COMPLAINT_MACHINE.allowed_actions(fields["status"], viewer.role),
        version=complaint.version,
    )


def public_items(session: Session, complaints: list[Complaint]) -> list[PublicComplaint]:
    return [PublicComplaint(**fields) for fields in _public_fields(session, complaints)]


def _public_fields(session: Session, complaints: list[Complaint]) -> list[dict[str, Any]]:
    catalogue = Catalogue.load(session)
    now = utcnow()
    clock = service.clock_for(session, now=now)
    ids = [c.id for c in complaints]
    counts = service.supporter_counts(session, complaint_ids=ids)
    photos = _by_complaint(session, ComplaintPhoto, ids)
    named = _users(session, {c.reporter_id for c in complaints if not c.anonymous})
    return [
        {
            "id": c.id,
            "tracking_number": c.tracking_number,
            "status": (status := clock.status_as_read(c, now)),
            "open311_status": open311_status(status),
            "title": c.title,
            "description": c.description,
            "category": catalogue.category(c),
            "agency": catalogue.agency(c),
            "latitude": c.latitude,
            "longitude": c.longitude,
            "address": c.address,
            "reporter_name": None if c.anonymous else named[c.reporter_id].full_name,
            "supporter_count": counts.get(c.id, 0),
            "photos": [photo_ref(p) for p in photos[c.id]],
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
        for c in complaints
    ]


def public_detail(session: Session, complaint: Complaint) -> PublicComplaintDetail:
    (fields,) = _public_fields(session, [complaint])
    return PublicComplaintDetail(**fields, timeline=_timeline(session, complaint.id, None))


def map_features(session: Session, complaints: list[Complaint]) -> list[MapFeature]:
    catalogue = Catalogue.load(session)
    counts = service.supporter_counts(session, complaint_ids=[c.id for c in complaints])
    now = utcnow()
    clock = service.clock_for(session, now=now)
    return [
        MapFeature(
            id=c.id,
            geometry=PointGeometry(coordinates=(c.longitude, c.latitude)),
            properties=MapProperties(
                id=c.id,
                tracking_number=c.tracking_number,
                title=c.title,
                category=catalogue.category(c).code,
                status=clock.status_as_read(c, now),
                supporter_count=counts.get(c.id, 0),
                created_at=c.created_at,
            ),
        )
        for c in complaints
    ]

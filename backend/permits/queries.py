"""Reading permit applications: who may see one, its status as people read it, the lists
(an applicant's own, an agency's, a reviewer's queue), its documents and audit trail.

Who may see an application is decided by `access.readable_by`, which every list here and the
API's loader (a 404 otherwise) apply.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Row, Select, bindparam
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.callers import RoleOnly, parameters
from backend.db import table_of, utcnow
from backend.errors import NotFound
from backend.pagination import after_bound, after_cursor, bound_cursor, page_of
from backend.permits import access
from backend.permits.models import PermitApplication, PermitDocument, PermitEvent
from backend.region.models import PermitType
from backend.region.service import RegionSnapshot, region_snapshot
from shared.permits import PermitStatus
from shared.roles import Role
from shared.workdays import to_local_date

_S = PermitStatus


class ApplicationLine(Protocol):
    """What a list line reads: a `PermitApplication`, or a `SUMMARY_COLUMNS` row of the same
    names."""

    @property
    def id(self) -> int: ...
    @property
    def registration_number(self) -> str: ...
    @property
    def permit_type_id(self) -> int: ...
    @property
    def agency_id(self) -> int: ...
    @property
    def status(self) -> PermitStatus: ...
    @property
    def step_index(self) -> int: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def version(self) -> int: ...
    @property
    def submitted_at(self) -> dt.datetime | None: ...
    @property
    def due_on(self) -> dt.date | None: ...
    @property
    def paused_at(self) -> dt.datetime | None: ...
    @property
    def valid_until(self) -> dt.date | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


_a = table_of(PermitApplication).c
SUMMARY_COLUMNS = (
    _a.id,
    _a.registration_number,
    _a.permit_type_id,
    _a.agency_id,
    _a.status,
    _a.step_index,
    _a.assignee_id,
    _a.version,
    _a.submitted_at,
    _a.due_on,
    _a.paused_at,
    _a.valid_until,
    _a.created_at,
)


def effective_status(application: ApplicationLine, today: dt.date) -> PermitStatus:
    """The status as people should read it: an issued permit past its last day has expired."""
    if (
        application.status == _S.ISSUED
        and application.valid_until is not None
        and application.valid_until < today
    ):
        return _S.EXPIRED
    return application.status


def local_today(session: Session, now: dt.datetime) -> tuple[RegionSnapshot, dt.date]:
    region = region_snapshot(session)
    return region, to_local_date(now, region.time_zone)


# The list's statements, built once per role and status filter from the access rule, with the
# caller (`parameters`), the day and the cursor bound at execution.
_LIST_ORDER = (_a.id,)


@cache
def _list_statement(*, role: Role, status: PermitStatus | None, after: bool) -> Select[Any]:
    statement = sa.select(*SUMMARY_COLUMNS).where(access.readable_by(RoleOnly(role)))
    if status is not None:
        statement = statement.where(_effective_status_is(status, bindparam("today")))
    if after:
        statement = statement.where(after_bound(_LIST_ORDER, descending=True))
    return statement.order_by(_a.id.desc()).limit(bindparam("rows"))


def list_applications(
    session: Session,
    *,
    user: User,
    status: PermitStatus | None,
    cursor: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """A resident's own applications, or the ones staff may see; newest first: `SUMMARY_COLUMNS`
    rows."""
    values: dict[str, Any] = parameters(user) | {"rows": limit + 1}
    if status is not None:
        _, values["today"] = local_today(session, now or utcnow())
    if cursor:
        values |= bound_cursor(_LIST_ORDER, cursor)
    statement = _list_statement(role=user.role, status=status, after=bool(cursor))
    rows = list(session.connection().execute(statement, values))
    return page_of(rows, limit=limit, key=lambda a: [a.id])


def _effective_status_is(status: PermitStatus, today: Any) -> ColumnElement[bool]:
    """`today`: a date, or a parameter bound at execution."""
    current = col(PermitApplication.status)
    lapsed = (current == _S.ISSUED) & (col(PermitApplication.valid_until) < today)
    if status == _S.EXPIRED:
        return (current == _S.EXPIRED) | lapsed
    if status == _S.ISSUED:
        return (current == _S.ISSUED) & ~lapsed
    return current == status


def review_queue(
    session: Session, *, user: User, cursor: str | None, limit: int
) -> tuple[list[PermitApplication], str | None]:
    """Applications of the user's agency waiting on a step for the user's role, by due date."""
    statement = select(PermitApplication).where(
        access.readable_by(user),
        col(PermitApplication.status).in_([_S.SUBMITTED, _S.IN_REVIEW]),
        PermitApplication.step_role == user.role,
    )
    columns = [col(PermitApplication.due_on), col(PermitApplication.id)]
    statement = after_cursor(statement, columns, cursor).limit(limit + 1)
    rows = list(session.exec(statement))
    return page_of(rows, limit=limit, key=lambda a: [a.due_on.isoformat(), a.id])


def documents_of(session: Session, application: PermitApplication) -> list[PermitDocument]:
    statement = (
        select(PermitDocument)
        .where(PermitDocument.application_id == application.id)
        .order_by(col(PermitDocument.id))
    )
    return list(session.exec(statement))


def get_document(
    session: Session, *, application: PermitApplication, document_id: int
) -> PermitDocument:
    document = session.get(PermitDocument, document_id)
    if document is None or document.application_id != application.id:
        raise NotFound("There is no such document on this application.")
    return document


# The detail's statements, built once per role (None: a write's, whose loader has decided
# already), with the caller (`parameters`) and `application_id` bound at execution.
_applicant = table_of(User).alias("applicant")
_renewed = table_of(PermitApplication).alias("renewed")
_actor = table_of(User).alias("actor")
_e = table_of(PermitEvent).c
_d = table_of(PermitDocument).c


@cache
def _detail_statement(role: Role | None) -> Select[Any]:
    statement = (
        sa.select(
            *table_of(PermitApplication).c,
            _applicant.c.full_name.label("applicant_name"),
            _renewed.c.registration_number.label("renewal_of"),
        )
        .join(_applicant, _applicant.c.id == _a.applicant_id)
        .outerjoin(_renewed, _renewed.c.id == _a.renewal_of_id)
        .where(_a.id == bindparam("application_id"))
    )
    if role is not None:
        statement = statement.where(access.readable_by(RoleOnly(role)))
    return statement


@cache
def _timeline_statement(role: Role) -> Select[Any]:
    """`EventView` columns, in its order, oldest first."""
    return (
        sa.select(
            _e.id,
            _e.action,
            _e.from_status,
            _e.to_status,
            _e.step_code,
            _e.actor_role,
            _actor.c.full_name.label("actor_name"),
            _e.note,
            _e.public,
            _e.details,
            _e.created_at,
        )
        .outerjoin(_actor, _actor.c.id == _e.actor_id)
        .where(
            _e.application_id == bindparam("application_id"),
            access.timeline_visible_to(RoleOnly(role)),
        )
        .order_by(_e.id)
    )


_DOCUMENTS = (
    sa.select(*table_of(PermitDocument).c)
    .where(_d.application_id == bindparam("application_id"))
    .order_by(_d.id)
)


@dataclass(frozen=True)
class DetailRows:
    application: Row[Any]  # every column, `applicant_name` and `renewal_of`
    timeline: list[Row[Any]]
    documents: list[Row[Any]]


def detail_rows(
    session: Session, application_id: int, *, viewer: User, readable: bool = True
) -> DetailRows | None:
    """What an application's detail shows: None when `readable` and `viewer` may not read it
    (`access.readable_by`), or when there is none. Without `readable`, for a write whose loader
    has decided already."""
    connection = session.connection()
    values = parameters(viewer) | {"application_id": application_id}
    statement = _detail_statement(viewer.role if readable else None)
    application = connection.execute(statement, values).first()
    if application is None:
        return None
    return DetailRows(
        application,
        list(connection.execute(_timeline_statement(viewer.role), values)),
        list(connection.execute(_DOCUMENTS, values)),
    )


def application_not_found() -> NotFound:
    return NotFound("There is no application with this id.")


def visible_application(session: Session, *, application_id: int, user: User) -> PermitApplication:
    """The application, if `user` may read it; a 404 otherwise, whether it exists or not."""
    statement = select(PermitApplication).where(
        PermitApplication.id == application_id, access.readable_by(user)
    )
    application = session.exec(statement).first()
    if application is None:
        raise application_not_found()
    return application


def permit_type_of(session: Session, application: PermitApplication) -> PermitType:
    permit_type = session.get(PermitType, application.permit_type_id)
    assert permit_type is not None  # a foreign key, and permit types are never deleted
    return permit_type

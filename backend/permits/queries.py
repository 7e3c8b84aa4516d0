"""Reading permit applications: who may see one, its status as people read it, the lists
(an applicant's own, an agency's, a reviewer's queue), its documents and audit trail.

Who may see an application is decided by `access.readable_by`, which every list here and the
API's loader (a 404 otherwise) apply.
"""

import datetime as dt

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.errors import NotFound
from backend.pagination import after_cursor, page_of
from backend.permits import access
from backend.permits.models import PermitApplication, PermitDocument, PermitEvent
from backend.region.models import PermitType
from backend.region.service import RegionSnapshot, region_snapshot
from shared.permits import PermitStatus
from shared.workdays import to_local_date

_S = PermitStatus


def effective_status(application: PermitApplication, today: dt.date) -> PermitStatus:
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


def list_applications(
    session: Session,
    *,
    user: User,
    status: PermitStatus | None,
    cursor: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> tuple[list[PermitApplication], str | None]:
    """A resident's own applications, or the ones staff may see; newest first."""
    statement = select(PermitApplication).where(access.readable_by(user))
    if status is not None:
        _, today = local_today(session, now or utcnow())
        statement = statement.where(_effective_status_is(status, today))
    statement = after_cursor(statement, [col(PermitApplication.id)], cursor, descending=True)
    rows = list(session.exec(statement.limit(limit + 1)))
    return page_of(rows, limit=limit, key=lambda a: [a.id])


def _effective_status_is(status: PermitStatus, today: dt.date) -> ColumnElement[bool]:
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


def events_of(
    session: Session, application: PermitApplication, *, viewer: User
) -> list[PermitEvent]:
    """The entries of the application's audit trail `viewer` may read, oldest first."""
    statement = select(PermitEvent).where(
        PermitEvent.application_id == application.id, access.timeline_visible_to(viewer)
    )
    return list(session.exec(statement.order_by(col(PermitEvent.id))))


def visible_application(session: Session, *, application_id: int, user: User) -> PermitApplication:
    """The application, if `user` may read it; a 404 otherwise, whether it exists or not."""
    statement = select(PermitApplication).where(
        PermitApplication.id == application_id, access.readable_by(user)
    )
    application = session.exec(statement).first()
    if application is None:
        raise NotFound("There is no application with this id.")
    return application


def permit_type_of(session: Session, application: PermitApplication) -> PermitType:
    permit_type = session.get(PermitType, application.permit_type_id)
    assert permit_type is not None  # a foreign key, and permit types are never deleted
    return permit_type

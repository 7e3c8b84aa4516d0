"""The loaders of the complaints API: which complaint a caller may read or act on.

* A resident sees and acts on their own complaints only; anyone else's is a 404.
* Officers and supervisors see and act on complaints routed to their agency; another agency's
  is a 404.
* Calling an action of the other side (a resident verifying, an officer rating) is a 403.
* The public sees what `access.public` allows, without logging in.

Each loader fetches the complaint through a rule of `access.py`, the rules the lists use too.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Security
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import ColumnElement
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.auth import service as auth_service
from backend.auth.dependencies import (
    CurrentUser,
    get_reader,
    oauth2_scheme,
    require_roles,
)
from backend.clients.dependencies import Principal, get_principal, get_read_principal
from backend.clients.models import ApiClient
from backend.clients.scopes import Scope
from backend.complaints import access, service
from backend.complaints.models import Complaint
from backend.db import RowId
from backend.dependencies import IfMatch, SessionDep, SettingsDep, check_version
from backend.errors import Forbidden, bilingual
from shared.roles import STAFF_ROLES, Role

StaffUser = Annotated[User, Depends(require_roles(Role.OFFICER, Role.SUPERVISOR))]
SupervisorUser = Annotated[User, Depends(require_roles(Role.SUPERVISOR))]
ResidentUser = Annotated[User, Depends(require_roles(Role.RESIDENT))]
# For reads (``backend.reads``): the same check on a user attached to no session.
ResidentReader = Annotated[User, Depends(require_roles(Role.RESIDENT, caller=get_reader))]


@dataclass(frozen=True)
class Filer:
    """Who files a complaint: a resident, or a client (`complaints:write`) filing under its
    channel account."""

    reporter: User
    client: ApiClient | None = None


def _refuse_role() -> Forbidden:
    return Forbidden("Your role may not use this endpoint.")


async def complaint_filer(
    principal: Annotated[Principal, Security(get_principal, scopes=[Scope.COMPLAINTS_WRITE])],
    session: SessionDep,
) -> Filer:
    if principal.client is not None:
        client = principal.client.client
        reporter = await run_in_threadpool(session.get_one, User, client.channel_user_id)
        return Filer(reporter=reporter, client=client)
    if principal.person.role != Role.RESIDENT:
        raise _refuse_role()
    return Filer(reporter=principal.person)


async def queue_reader(
    principal: Annotated[Principal, Security(get_read_principal, scopes=[Scope.COMPLAINTS_READ])],
) -> User:
    """Staff, or an agency-bound client (`complaints:read`) reading its agency's queue as a
    read-only member of it; a client bound to no agency has no queue."""
    if principal.client is not None:
        if principal.client.agency_id is None:
            raise Forbidden(
                bilingual(
                    "Klien ini tidak terikat pada satu instansi.",
                    "This client is bound to no agency, so it has no queue.",
                )
            )
        # Never stored: it only carries the agency the queue query filters by.
        return User(
            full_name=principal.client.client.name,
            password_hash="!",
            role=Role.OFFICER,
            agency_id=principal.client.agency_id,
        )
    if principal.person.role not in STAFF_ROLES:
        raise _refuse_role()
    return principal.person


def optional_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    """The caller when a bearer token is sent; public endpoints also serve anonymous callers."""
    if not token:
        return None
    user, _ = auth_service.authenticate(session, settings=settings, access_token=token)
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def _load(session: Session, complaint_id: int, readable: ColumnElement[bool]) -> Complaint:
    """The complaint, if the access rule lets the caller read it; a 404 otherwise, whether it
    exists or not."""
    statement = select(Complaint).where(Complaint.id == complaint_id, readable)
    complaint = session.exec(statement).first()
    if complaint is None:
        raise service.complaint_not_found()
    return complaint


def _check_version(complaint: Complaint, if_match: str | None) -> None:
    check_version(
        complaint.version,
        if_match,
        detail=bilingual(
            "Pengaduan sudah diubah oleh orang lain; muat ulang lalu coba lagi.",
            "Someone else changed this complaint; reload it and try again.",
        ),
    )


def staff_complaint(
    complaint_id: RowId, user: StaffUser, session: SessionDep, if_match: IfMatch = None
) -> Complaint:
    complaint = _load(session, complaint_id, access.handled_by(user))
    _check_version(complaint, if_match)
    return complaint


def reporter_complaint(
    complaint_id: RowId, user: ResidentUser, session: SessionDep, if_match: IfMatch = None
) -> Complaint:
    complaint = _load(session, complaint_id, access.reported_by(user))
    _check_version(complaint, if_match)
    return complaint


def participant_complaint(
    complaint_id: RowId, user: CurrentUser, session: SessionDep, if_match: IfMatch = None
) -> Complaint:
    """For what both sides do (comments, photos): the reporter or the agency's staff."""
    complaint = _load(session, complaint_id, access.private_to(user))
    _check_version(complaint, if_match)
    return complaint


def public_complaint(complaint_id: RowId, session: SessionDep) -> Complaint:
    return _load(session, complaint_id, access.public())


def photo_complaint(complaint_id: RowId, user: OptionalUser, session: SessionDep) -> Complaint:
    """Photos follow their complaint: public ones for all, others for reporter and staff."""
    return _load(session, complaint_id, access.visible_to(user))


def supportable_complaint(
    complaint_id: RowId, user: ResidentUser, session: SessionDep
) -> Complaint:
    """A resident may say "me too" on any public complaint (and reach their own)."""
    return _load(session, complaint_id, access.visible_to(user))


ComplaintFiler = Annotated[Filer, Depends(complaint_filer)]
QueueReader = Annotated[User, Depends(queue_reader)]
StaffComplaint = Annotated[Complaint, Depends(staff_complaint)]
ReporterComplaint = Annotated[Complaint, Depends(reporter_complaint)]
ParticipantComplaint = Annotated[Complaint, Depends(participant_complaint)]
PublicComplaintDep = Annotated[Complaint, Depends(public_complaint)]
PhotoComplaint = Annotated[Complaint, Depends(photo_complaint)]
SupportableComplaint = Annotated[Complaint, Depends(supportable_complaint)]

"""Who may read which complaint, decided once, as SQL conditions.

Every list and every loader of complaints puts one of these conditions in its statement, so a
list never shows what fetching the item refuses, nor the reverse:

* `public()`: what anyone may see, logged in or not (the feed, the map, nearby, Open311): never
  a confidential complaint, never a rejected report (spam and out-of-scope reports may hold
  abuse or personal data).
* `private_to(caller)`: the whole complaint, for its reporter (`reported_by`, a resident) and
  for the staff of the agency it is routed to (`handled_by`); nobody else, admins included.
* `visible_to(caller)`: either (photos, "me too").
* `timeline_visible_to(caller)`: which entries of a complaint's timeline the caller reads.

The caller's id and agency travel as named bound parameters (`caller_id`, `caller_agency_id`),
so a statement built once from a rule for one role serves every caller of that role:

    QUEUE = select(...).where(access.handled_by(access.RoleOnly(Role.OFFICER)), ...)
    session.execute(QUEUE, access.parameters(officer))

A `RoleOnly` binds no one: run without `parameters`, such a statement matches nothing.
"""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, true
from sqlmodel import col

from backend.complaints.models import Complaint, ComplaintEvent
from shared.complaints import ComplaintStatus
from shared.roles import STAFF_ROLES, Role

CALLER_ID = "caller_id"
CALLER_AGENCY_ID = "caller_agency_id"


class Caller(Protocol):
    """What the rules read of a caller: a `User`, or a `RoleOnly` for a prebuilt statement."""

    @property
    def role(self) -> Role: ...
    @property
    def id(self) -> int | None: ...
    @property
    def agency_id(self) -> int | None: ...


@dataclass(frozen=True)
class RoleOnly:
    """A caller of `role` whose id and agency are given when the statement runs."""

    role: Role
    id: None = None
    agency_id: None = None


def parameters(caller: Caller) -> dict[str, int | None]:
    """The caller's values for a statement prebuilt from these rules."""
    return {CALLER_ID: caller.id, CALLER_AGENCY_ID: caller.agency_id}


def _caller_id(caller: Caller) -> ColumnElement[int]:
    return bindparam(CALLER_ID, caller.id)


def public() -> ColumnElement[bool]:
    return and_(
        col(Complaint.confidential).is_(False), col(Complaint.status) != ComplaintStatus.REJECTED
    )


def reported_by(caller: Caller | None) -> ColumnElement[bool]:
    if caller is None or caller.role != Role.RESIDENT:
        return false()
    return col(Complaint.reporter_id) == _caller_id(caller)


def handled_by(caller: Caller | None) -> ColumnElement[bool]:
    if caller is None or caller.role not in STAFF_ROLES:
        return false()
    return col(Complaint.agency_id) == bindparam(CALLER_AGENCY_ID, caller.agency_id)


def private_to(caller: Caller | None) -> ColumnElement[bool]:
    return or_(reported_by(caller), handled_by(caller))


def visible_to(caller: Caller | None) -> ColumnElement[bool]:
    return or_(public(), private_to(caller))


def timeline_visible_to(caller: Caller | None) -> ColumnElement[bool]:
    """For a complaint the caller may read: staff see every entry (internal notes too), the
    reporter the public ones and their own additions, everyone else the public ones."""
    if caller is not None and caller.role in STAFF_ROLES:
        return true()
    if caller is not None and caller.role == Role.RESIDENT:
        return or_(col(ComplaintEvent.public), col(ComplaintEvent.actor_id) == _caller_id(caller))
    return col(ComplaintEvent.public)

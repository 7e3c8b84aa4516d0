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

The caller's id and agency are bound as named parameters (see `backend/callers.py`), so the rules
also serve statements built once per role.
"""

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import col

from backend.callers import Caller, caller_agency_id, caller_id
from backend.complaints.models import Complaint, ComplaintEvent
from shared.complaints import ComplaintStatus
from shared.roles import STAFF_ROLES, Role


def public() -> ColumnElement[bool]:
    return and_(
        col(Complaint.confidential).is_(False), col(Complaint.status) != ComplaintStatus.REJECTED
    )


def reported_by(caller: Caller | None) -> ColumnElement[bool]:
    if caller is None or caller.role != Role.RESIDENT:
        return false()
    return col(Complaint.reporter_id) == caller_id(caller)


def handled_by(caller: Caller | None) -> ColumnElement[bool]:
    if caller is None or caller.role not in STAFF_ROLES:
        return false()
    return col(Complaint.agency_id) == caller_agency_id(caller)


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
        return or_(col(ComplaintEvent.public), col(ComplaintEvent.actor_id) == caller_id(caller))
    return col(ComplaintEvent.public).is_(True)

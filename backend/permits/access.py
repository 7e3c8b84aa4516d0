"""Who may read which permit application, decided once, as SQL conditions.

Every list (an applicant's own, an agency's, the review queue) and every loader of applications
puts `readable_by(caller)` in its statement, so a list never shows what fetching the item
refuses, nor the reverse:

* a resident reads their own applications, drafts included;
* staff read their agency's and admins every agency's, never someone's draft;
* anyone else (an anonymous caller) reads none.

`timeline_visible_to(caller)`: residents read the public entries of an application's audit
trail; staff and admins every entry, internal notes included.

The caller's id and agency are bound as named parameters (see `backend/callers.py`).
"""

from sqlalchemy import ColumnElement, and_, false, true
from sqlmodel import col

from backend.callers import Caller, caller_agency_id, caller_id
from backend.db import table_of
from backend.microcache import Scope
from backend.permits.models import PermitApplication, PermitEvent
from shared.permits import PermitStatus
from shared.roles import STAFF_ROLES, Role


def readable_by(caller: Caller | None) -> ColumnElement[bool]:
    if caller is None:
        return false()
    if caller.role == Role.RESIDENT:
        return col(PermitApplication.applicant_id) == caller_id(caller)
    submitted = col(PermitApplication.status) != PermitStatus.DRAFT
    if caller.role == Role.ADMIN:
        return submitted
    if caller.role in STAFF_ROLES:
        return and_(submitted, col(PermitApplication.agency_id) == caller_agency_id(caller))
    return false()


def readable_rows(caller: Caller) -> Scope | None:
    """The applications' rows that bound what `readable_by(caller)` lets through: what a kept
    list of theirs depends on (``backend.kept_answers.rows_of``). None: no one column bounds
    them (admins read every agency's)."""
    applications = table_of(PermitApplication).name
    if caller.role == Role.RESIDENT:
        return applications, "applicant_id", caller.id
    if caller.role in STAFF_ROLES:
        return applications, "agency_id", caller.agency_id
    return None


def timeline_visible_to(caller: Caller) -> ColumnElement[bool]:
    """For an application the caller may read."""
    if caller.role == Role.RESIDENT:
        return col(PermitEvent.public).is_(True)
    return true()

"""The caller as the access rules of each domain (`complaints/access.py`, `permits/access.py`)
see it: a role, an id and an agency, bound into SQL as named parameters.

Because the values travel as the named parameters `caller_id` and `caller_agency_id`, a
statement built once from a rule for one role serves every caller of that role:

    QUEUE = select(...).where(access.handled_by(RoleOnly(Role.OFFICER)), ...)
    session.execute(QUEUE, parameters(officer))

A `RoleOnly` binds no one (NULL): run without `parameters`, such a statement matches nothing.
"""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import BindParameter, bindparam

from shared.roles import Role

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
    """The caller's values for a statement prebuilt from the access rules."""
    return {CALLER_ID: caller.id, CALLER_AGENCY_ID: caller.agency_id}


def caller_id(caller: Caller) -> BindParameter[int]:
    return bindparam(CALLER_ID, caller.id)


def caller_agency_id(caller: Caller) -> BindParameter[int]:
    return bindparam(CALLER_AGENCY_ID, caller.agency_id)

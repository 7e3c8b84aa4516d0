"""Who may act: user roles, plus the platform itself for scheduled work."""

from enum import StrEnum
from typing import TypeAlias


class Role(StrEnum):
    """The role carried by a user account (and its access token)."""

    RESIDENT = "resident"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class SystemActor(StrEnum):
    """The platform acting on its own, e.g. a scheduled job that closes or expires items.

    Deliberately not a `Role`: no account can hold it, so `Role("system")` fails and a token
    can never grant what only the scheduler may do.
    """

    SYSTEM = "system"


SYSTEM = SystemActor.SYSTEM

# Anything a state-machine transition can be granted to.
Actor: TypeAlias = Role | SystemActor

# Roles whose accounts belong to an agency (OPD) and work its queues.
STAFF_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})


def belongs_to_agency(role: Role | str) -> bool:
    """Whether an account with this role must be attached to an agency."""
    return role in STAFF_ROLES

"""Complaint (pengaduan) lifecycle, after LAPOR! and FixMyStreet.

submitted -> verified -> in_progress -> resolved -> closed, with a pause while waiting on the
reporter, forwarding to another agency (back to submitted in that agency's queue), and the side
exits rejected and duplicate.
"""

from enum import StrEnum
from typing import Literal

from shared.roles import STAFF_ROLES, SYSTEM, Role
from shared.statemachine import History, StateMachine, Transition


class ComplaintStatus(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    WAITING_REPORTER = "waiting_reporter"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


# In an agency's hands (or waiting on the reporter): shown in queues, counted against deadlines.
OPEN_STATUSES = frozenset(
    {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.VERIFIED,
        ComplaintStatus.IN_PROGRESS,
        ComplaintStatus.WAITING_REPORTER,
    }
)
# No action changes these any more. `resolved` is neither open nor final: the reporter may still
# reopen it, and it is closed once the reopen window has passed.
FINAL_STATUSES = frozenset(
    {ComplaintStatus.CLOSED, ComplaintStatus.REJECTED, ComplaintStatus.DUPLICATE}
)
# The deadline clock stops while the agency waits for the reporter's answer.
CLOCK_PAUSED_STATUSES = frozenset({ComplaintStatus.WAITING_REPORTER})

# LAPOR! defaults; a region pack may override them.
VERIFY_WORKING_DAYS = 3  # verify (or forward) a new complaint
FOLLOW_UP_WORKING_DAYS = 5  # act on a verified complaint
REOPEN_WINDOW_DAYS = 7  # calendar days after resolution during which the reporter may reopen
# The reporter rates a resolved complaint from 1 to 5 stars.
MIN_RATING = 1
MAX_RATING = 5

_S = ComplaintStatus  # short alias for the table below
_TRIAGE = frozenset({_S.SUBMITTED, _S.VERIFIED})
_RESIDENT = frozenset({Role.RESIDENT})

COMPLAINT_MACHINE = StateMachine(
    [
        Transition("verify", {_S.SUBMITTED}, _S.VERIFIED, STAFF_ROLES),
        # Forwarding changes the responsible agency (the backend records which and why); the
        # complaint starts over in the receiving agency's queue.
        Transition("forward", _TRIAGE, _S.SUBMITTED, STAFF_ROLES),
        Transition("start_work", {_S.VERIFIED}, _S.IN_PROGRESS, STAFF_ROLES),
        Transition("request_info", {_S.VERIFIED, _S.IN_PROGRESS}, _S.WAITING_REPORTER, STAFF_ROLES),
        # Back to verified or in_progress, whichever the complaint was in when info was requested.
        Transition("provide_info", {_S.WAITING_REPORTER}, History.PREVIOUS, _RESIDENT),
        Transition("resolve", {_S.VERIFIED, _S.IN_PROGRESS}, _S.RESOLVED, STAFF_ROLES),
        # Also from waiting_reporter, so a reporter who never answers cannot block the queue.
        Transition("reject", _TRIAGE | {_S.WAITING_REPORTER}, _S.REJECTED, STAFF_ROLES),
        Transition("mark_duplicate", _TRIAGE, _S.DUPLICATE, STAFF_ROLES),
        # The system closes resolved complaints when the reopen window ends.
        Transition("close", {_S.RESOLVED}, _S.CLOSED, STAFF_ROLES | {SYSTEM}),
        # Reopened complaints go back to the agency's queue for follow-up; the backend enforces
        # the reopen window.
        Transition("reopen", {_S.RESOLVED}, _S.VERIFIED, _RESIDENT),
        Transition("rate", {_S.RESOLVED, _S.CLOSED}, None, _RESIDENT),
        Transition("comment", OPEN_STATUSES, None, STAFF_ROLES | _RESIDENT),
        Transition("claim", OPEN_STATUSES, None, STAFF_ROLES),
        # Handing work to someone else is the supervisor's call.
        Transition("assign", OPEN_STATUSES, None, {Role.SUPERVISOR}),
    ]
)


def open311_status(status: ComplaintStatus) -> Literal["open", "closed"]:
    """The Open311 GeoReport v2 status: open while an agency still has to act."""
    return "open" if status in OPEN_STATUSES else "closed"

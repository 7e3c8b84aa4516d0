from itertools import product

from shared.permits import (
    BLDS_STATUS,
    CLOCK_PAUSED_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    PERMIT_MACHINE,
    PermitStatus,
)
from shared.roles import SYSTEM, Role

S = PermitStatus
RESIDENT, OFFICER, SUPERVISOR, ADMIN = Role
STAFF = {OFFICER, SUPERVISOR}
ACTORS = [*Role, SYSTEM]
OPEN = {S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.APPROVED, S.AWAITING_PAYMENT}

# The lifecycle as specified: action -> (from statuses, to status, who). None keeps the status.
SPEC = {
    "submit": ({S.DRAFT}, S.SUBMITTED, {RESIDENT}),
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, STAFF),
    "approve_step": ({S.IN_REVIEW}, None, STAFF),
    "decide_approve": ({S.IN_REVIEW}, S.APPROVED, STAFF),
    "request_info": ({S.SUBMITTED, S.IN_REVIEW}, S.NEEDS_INFO, STAFF),
    "resubmit": ({S.NEEDS_INFO}, S.IN_REVIEW, {RESIDENT}),
    "reject": ({S.SUBMITTED, S.IN_REVIEW}, S.REJECTED, STAFF),
    "withdraw": ({S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO}, S.WITHDRAWN, {RESIDENT}),
    "require_payment": ({S.APPROVED}, S.AWAITING_PAYMENT, STAFF | {SYSTEM}),
    "record_payment": ({S.AWAITING_PAYMENT}, S.ISSUED, STAFF | {SYSTEM}),
    "issue": ({S.APPROVED}, S.ISSUED, STAFF),
    "expire": ({S.ISSUED}, S.EXPIRED, {SYSTEM}),
    "revoke": ({S.ISSUED}, S.REVOKED, {SUPERVISOR}),
    "comment": (OPEN, None, STAFF | {RESIDENT}),
    "claim": (OPEN, None, STAFF),
    "assign": (OPEN, None, {SUPERVISOR}),
    "take_over": ({S.SUBMITTED, S.IN_REVIEW}, None, {SUPERVISOR}),
}

# Every value BLDS allows in StatusCurrentMapped.
BLDS_VOCABULARY = {
    "Application Accepted",
    "Fees/Payment",
    "In Review",
    "Permit Issued",
    "Inspection Phase",
    "Permit Finaled",
    "Permit Finaled with Conditions",
    "Occupancy",
    "Appeal",
    "Permit Cancelled",
}


def test_machine_declares_exactly_the_specified_lifecycle():
    assert list(PERMIT_MACHINE.actions) == list(SPEC)
    for action, status, actor in product(SPEC, S, ACTORS):
        sources, target, actors = SPEC[action]
        allowed = status in sources and actor in actors
        assert PERMIT_MACHINE.can(action, status, actor) is allowed, (action, status, actor)
        if allowed:
            assert PERMIT_MACHINE.target(action, status, actor) == (target or status)


def test_every_status_takes_part():
    assert PERMIT_MACHINE.statuses == set(S)


def walk(status, steps):
    for action, actor in steps:
        status = PERMIT_MACHINE.target(action, status, actor)
    return status


def test_a_paid_permit_goes_from_draft_to_expiry():
    steps = [
        ("submit", RESIDENT),
        ("request_info", OFFICER),
        ("resubmit", RESIDENT),
        ("approve_step", OFFICER),
        ("decide_approve", SUPERVISOR),
        ("require_payment", SYSTEM),
        ("record_payment", OFFICER),
    ]
    assert walk(S.DRAFT, steps) == S.ISSUED
    assert walk(S.ISSUED, [("expire", SYSTEM)]) == S.EXPIRED


def test_a_fee_free_permit_is_issued_straight_after_approval():
    steps = [("submit", RESIDENT), ("start_review", OFFICER), ("decide_approve", OFFICER)]
    assert walk(S.DRAFT, steps) == S.APPROVED
    assert walk(S.APPROVED, [("issue", OFFICER)]) == S.ISSUED


def test_only_a_supervisor_revokes_and_only_the_system_expires():
    assert [a for a in ACTORS if PERMIT_MACHINE.can("revoke", S.ISSUED, a)] == [SUPERVISOR]
    assert [a for a in ACTORS if PERMIT_MACHINE.can("expire", S.ISSUED, a)] == [SYSTEM]


def test_residents_cannot_decide_their_own_permit():
    for action in ("start_review", "approve_step", "decide_approve", "issue", "reject"):
        assert not any(PERMIT_MACHINE.can(action, status, RESIDENT) for status in S), action


def test_buttons_for_a_permit_in_review():
    assert PERMIT_MACHINE.allowed_actions(S.IN_REVIEW, OFFICER) == [
        "approve_step",
        "decide_approve",
        "request_info",
        "reject",
        "comment",
        "claim",
    ]
    assert PERMIT_MACHINE.allowed_actions(S.IN_REVIEW, RESIDENT) == ["withdraw", "comment"]
    assert PERMIT_MACHINE.allowed_actions(S.DRAFT, RESIDENT) == ["submit"]


def test_admins_stay_out_of_case_work():
    assert all(PERMIT_MACHINE.allowed_actions(status, ADMIN) == [] for status in S)


def test_final_statuses_never_change():
    for action, status, actor in product(PERMIT_MACHINE.actions, FINAL_STATUSES, ACTORS):
        if PERMIT_MACHINE.can(action, status, actor):
            assert PERMIT_MACHINE.target(action, status, actor) == status


def test_status_groups():
    assert OPEN_STATUSES == OPEN
    assert {S.EXPIRED, S.REJECTED, S.WITHDRAWN, S.REVOKED} == FINAL_STATUSES
    assert set(S) - OPEN_STATUSES - FINAL_STATUSES == {S.DRAFT, S.ISSUED}
    assert {S.NEEDS_INFO} == CLOCK_PAUSED_STATUSES


def test_blds_mapping_publishes_every_status_but_drafts():
    assert set(BLDS_STATUS) == set(S) - {S.DRAFT}
    assert set(BLDS_STATUS.values()) <= BLDS_VOCABULARY
    assert BLDS_STATUS[S.ISSUED] == "Permit Issued"
    assert BLDS_STATUS[S.AWAITING_PAYMENT] == "Fees/Payment"
    # Only an issued permit is published as one.
    assert [s for s, blds in BLDS_STATUS.items() if blds == "Permit Issued"] == [S.ISSUED]

"""Permit (izin) lifecycle, after BOPS, DIGIT, Open Zaak and SiCantik.

draft -> submitted -> in_review (the permit type's ordered steps) -> approved
-> awaiting_payment (when a fee applies) -> issued -> expired, with the side exits needs_info
(paused until the applicant resubmits), rejected, withdrawn and revoked.
"""

from enum import StrEnum

from shared.roles import STAFF_ROLES, SYSTEM, Role
from shared.statemachine import StateMachine, Transition


class PermitStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    AWAITING_PAYMENT = "awaiting_payment"
    ISSUED = "issued"
    EXPIRED = "expired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


# Submitted and not yet decided or issued: in an agency's queue.
OPEN_STATUSES = frozenset(
    {
        PermitStatus.SUBMITTED,
        PermitStatus.IN_REVIEW,
        PermitStatus.NEEDS_INFO,
        PermitStatus.APPROVED,
        PermitStatus.AWAITING_PAYMENT,
    }
)
# No action changes these any more. `issued` is neither open nor final: it can still expire or
# be revoked.
FINAL_STATUSES = frozenset(
    {PermitStatus.EXPIRED, PermitStatus.REJECTED, PermitStatus.WITHDRAWN, PermitStatus.REVOKED}
)
# The deadline clock stops while the applicant is asked for more information.
CLOCK_PAUSED_STATUSES = frozenset({PermitStatus.NEEDS_INFO})

_S = PermitStatus  # short alias for the table below
_RESIDENT = frozenset({Role.RESIDENT})

PERMIT_MACHINE = StateMachine(
    [
        Transition("submit", {_S.DRAFT}, _S.SUBMITTED, _RESIDENT),
        Transition("start_review", {_S.SUBMITTED}, _S.IN_REVIEW, STAFF_ROLES),
        # One review step done; the backend advances the step index and checks the step's role
        # from the permit type. The last step is decided with decide_approve instead.
        Transition("approve_step", {_S.IN_REVIEW}, None, STAFF_ROLES),
        Transition("decide_approve", {_S.IN_REVIEW}, _S.APPROVED, STAFF_ROLES),
        Transition("request_info", {_S.SUBMITTED, _S.IN_REVIEW}, _S.NEEDS_INFO, STAFF_ROLES),
        Transition("resubmit", {_S.NEEDS_INFO}, _S.IN_REVIEW, _RESIDENT),
        Transition("reject", {_S.SUBMITTED, _S.IN_REVIEW}, _S.REJECTED, STAFF_ROLES),
        Transition(
            "withdraw", {_S.SUBMITTED, _S.IN_REVIEW, _S.NEEDS_INFO}, _S.WITHDRAWN, _RESIDENT
        ),
        # The system bills right after approval when the permit type has a fee.
        Transition("require_payment", {_S.APPROVED}, _S.AWAITING_PAYMENT, STAFF_ROLES | {SYSTEM}),
        # Recorded by an officer at the counter, or by the system on a payment gateway callback.
        Transition("record_payment", {_S.AWAITING_PAYMENT}, _S.ISSUED, STAFF_ROLES | {SYSTEM}),
        # Fee-free permits are issued straight after approval.
        Transition("issue", {_S.APPROVED}, _S.ISSUED, STAFF_ROLES),
        Transition("expire", {_S.ISSUED}, _S.EXPIRED, {SYSTEM}),
        Transition("revoke", {_S.ISSUED}, _S.REVOKED, {Role.SUPERVISOR}),
        Transition("comment", OPEN_STATUSES, None, STAFF_ROLES | _RESIDENT),
        Transition("claim", OPEN_STATUSES, None, STAFF_ROLES),
        # Handing work to someone else is the supervisor's call, and so is taking a step out of
        # a colleague's hands to decide it oneself (recorded in the audit trail).
        Transition("assign", OPEN_STATUSES, None, {Role.SUPERVISOR}),
        Transition("take_over", {_S.SUBMITTED, _S.IN_REVIEW}, None, {Role.SUPERVISOR}),
    ]
)

# Status in the BLDS (Building & Land Development Specification) standard vocabulary, for the
# StatusCurrentMapped field of the open-data export; the raw status goes to StatusCurrent. BLDS has
# no value for refusals or lapses, so every end without a valid permit is "Permit Cancelled".
# Drafts are private and never exported, hence absent.
BLDS_STATUS: dict[PermitStatus, str] = {
    PermitStatus.SUBMITTED: "Application Accepted",
    PermitStatus.IN_REVIEW: "In Review",
    PermitStatus.NEEDS_INFO: "In Review",
    # Decided but not yet in force: nothing is published as permitted before issuance.
    PermitStatus.APPROVED: "In Review",
    PermitStatus.AWAITING_PAYMENT: "Fees/Payment",
    PermitStatus.ISSUED: "Permit Issued",
    PermitStatus.EXPIRED: "Permit Cancelled",
    PermitStatus.REJECTED: "Permit Cancelled",
    PermitStatus.WITHDRAWN: "Permit Cancelled",
    PermitStatus.REVOKED: "Permit Cancelled",
}

"""The one path of every permit status change, and the checks that come before it.

`take` asks the shared state machine, applies the change, appends to the audit trail and tells
the applicant about every public change made by someone else. A refused action is a 403 when the
role may never take it and a 409 when only the status is wrong now (`refusal`).
"""

import datetime as dt
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.errors import Conflict, Forbidden
from backend.notifications.service import Message, notify
from backend.permits.models import PermitApplication, PermitEvent
from backend.region.models import PermitType
from backend.region.pack import ReviewStep
from shared.errors import ErrorCode
from shared.permits import PERMIT_MACHINE, PermitStatus
from shared.roles import SYSTEM, Actor
from shared.statemachine import TransitionNotAllowed


def refusal(action: str, status: str, role: Actor) -> Conflict | Forbidden:
    """403 when the role may never take the action; 409 when only the status is wrong now."""
    if any(PERMIT_MACHINE.can(action, other, role) for other in PermitStatus):
        return Conflict(
            f"The action {action} is not possible while the application is {status}.",
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    return Forbidden(f"Your role may not take the action {action}.")


def ensure_allowed(application: PermitApplication, actor: User, action: str) -> None:
    """Check an action before work that must not happen when it is refused."""
    if not PERMIT_MACHINE.can(action, application.status, actor.role):
        raise refusal(action, application.status, actor.role)


# Notification titles per action, with {number} (registration or permit number), {step} and
# {amount} filled in; the event's note becomes the body.
_ANNOUNCEMENTS: dict[str, tuple[str, str]] = {
    "start_review": (
        "Permohonan {number} mulai diperiksa",
        "Application {number} is being reviewed",
    ),
    "approve_step": (
        "Tahap {step} selesai untuk permohonan {number}",
        "Step {step} completed for application {number}",
    ),
    "decide_approve": ("Permohonan {number} disetujui", "Application {number} approved"),
    "require_payment": (
        "Silakan bayar retribusi Rp {amount} untuk {number}",
        "Please pay the fee of Rp {amount} for {number}",
    ),
    "request_info": (
        "Petugas meminta kelengkapan permohonan {number}",
        "More information is needed for application {number}",
    ),
    "reject": ("Permohonan {number} ditolak", "Application {number} was rejected"),
    "record_payment": (
        "Pembayaran diterima, izin {number} terbit",
        "Payment received, permit {number} issued",
    ),
    "issue": ("Izin {number} terbit", "Permit {number} issued"),
    "revoke": ("Izin {number} dicabut", "Permit {number} was revoked"),
    "expire": ("Izin {number} sudah tidak berlaku", "Permit {number} has expired"),
    "comment": ("Pesan baru tentang permohonan {number}", "New message about application {number}"),
}


def _announce(
    session: Session, application: PermitApplication, event: PermitEvent, step: ReviewStep | None
) -> None:
    title_id, title_en = _ANNOUNCEMENTS[event.action]
    number = application.permit_number or application.registration_number
    amount = f"{application.fee_amount or 0:,}".replace(",", ".")  # Rp 1.500.000
    step_id, step_en = (step.name.id, step.name.en) if step else ("", "")
    notify(
        session,
        user_ids=[application.applicant_id],
        kind=f"permit.{event.action}",
        message=Message(
            title_id=title_id.format(number=number, amount=amount, step=step_id),
            title_en=title_en.format(number=number, amount=amount, step=step_en),
            body_id=event.note or "",
            body_en=event.note or "",
        ),
        subject_type="permit",
        subject_id=application.id,
    )


def current_step(permit_type: PermitType, application: PermitApplication) -> ReviewStep | None:
    steps = permit_type.review_steps()
    return steps[application.step_index] if application.step_index < len(steps) else None


def take(
    session: Session,
    *,
    application: PermitApplication,
    permit_type: PermitType,
    actor: User | None,
    action: str,
    now: dt.datetime,
    note: str | None = None,
    public: bool = True,
    details: dict[str, Any] | None = None,
) -> PermitEvent:
    """Apply `action` by `actor` (None: the system) and record it in the audit trail."""
    role: Actor = actor.role if actor else SYSTEM
    try:
        target = PERMIT_MACHINE.target(action, application.status, role)
    except TransitionNotAllowed:
        raise refusal(action, application.status, role) from None
    step = current_step(permit_type, application) if application.step_role else None
    event = PermitEvent(
        application_id=application.id,
        actor_id=actor.id if actor else None,
        actor_role=str(role),
        action=action,
        from_status=application.status,
        to_status=target,
        step_code=step.code if step else None,
        note=note,
        public=public,
        details=details or {},
        created_at=now,
    )
    application.status = PermitStatus(target)
    application.updated_at = now
    session.add(application)
    session.add(event)
    if public and (actor is None or actor.id != application.applicant_id):
        _announce(session, application, event, step)
    session.flush()
    return event


def require_applicant(application: PermitApplication, user: User) -> None:
    if user.id != application.applicant_id:
        raise Forbidden("Only the applicant may do this.")

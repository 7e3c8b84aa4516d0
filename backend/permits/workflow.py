"""An application's way through the agency: submitted, reviewed step by step, decided; then
withdrawn, commented on or revoked.

Under review, only the role the permit type's current step names may act on it, and deciding a
step takes holding it (claimed, assigned or taken over by a supervisor). Asking for information
stops the statutory clock until the applicant resubmits. Functions that depend on the date
accept `now`, so tests can stand on any day of the calendar.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.db import utcnow
from backend.errors import Conflict, FieldError, Forbidden, Unprocessable, bilingual
from backend.notifications.service import Message, notify, notify_agency_staff
from backend.permits import deadlines
from backend.permits.certificates import CertificateIssuer
from backend.permits.issuing import issue
from backend.permits.models import PermitApplication, PermitEvent
from backend.permits.payment import bill
from backend.permits.queries import documents_of, effective_status, local_today, permit_type_of
from backend.permits.transitions import (
    current_step,
    ensure_allowed,
    refusal,
    require_applicant,
    take,
)
from backend.region.forms import FormAnswersError, validate_form_answers
from backend.region.models import PermitType
from backend.region.pack import LocalizedText
from backend.region.service import region_snapshot
from shared.errors import ErrorCode
from shared.permits import PermitStatus
from shared.roles import Role
from shared.workdays import to_local_date

_S = PermitStatus


# --- Who acts on the current step ---


def _took_over(application: PermitApplication, user: User) -> bool:
    """A supervisor who took the current step over acts on it whatever role it names."""
    return user.role == Role.SUPERVISOR and application.assignee_id == user.id


def _require_step_role(permit_type: PermitType, application: PermitApplication, user: User) -> None:
    """Under review, only the role the current step names may act on it."""
    if (
        application.step_role is not None
        and user.role != application.step_role
        and not _took_over(application, user)
    ):
        step = current_step(permit_type, application)
        assert step is not None  # a step's role is set only while the step is current
        raise Forbidden(f"The step {step.code} is decided by a {step.role}.")


def _require_holder(application: PermitApplication, user: User) -> None:
    """Deciding a step takes holding it: claimed, assigned or taken over. An officer acting
    from a stale screen (the step moved on, or a colleague holds it) is refused."""
    if application.assignee_id != user.id:
        raise Conflict(
            bilingual(
                "Ambil tahap ini terlebih dahulu (atau minta kepala dinas mengalihkannya).",
                "Claim this step first (or ask a supervisor to hand it to you).",
            ),
            code=ErrorCode.STEP_NOT_HELD,
        )


def _enter_step(
    session: Session,
    permit_type: PermitType,
    application: PermitApplication,
    index: int,
    *,
    actor: User,
) -> None:
    """Move the application to review step `index` and tell the staff who take that step."""
    step = permit_type.review_steps()[index]
    application.step_index = index
    application.step_role = step.role
    application.assignee_id = None
    number = application.registration_number
    notify_agency_staff(
        session,
        agency_id=application.agency_id,
        kind="permit.routed",
        roles=[step.role],
        message=Message(
            title_id=f"Permohonan {number} menunggu {step.name.id}",
            title_en=f"Application {number} awaits {step.name.en}",
        ),
        subject_type="permit",
        subject_id=application.id,
        exclude_user_ids=[actor.id],
    )


# --- Submitting ---


def _require_complete(
    session: Session, *, application: PermitApplication, permit_type: PermitType, language: str
) -> None:
    """Raise one 422 naming every missing or invalid answer and every missing document."""
    errors: list[FieldError] = []
    try:
        validate_form_answers(permit_type.form_fields(), application.answers)
    except FormAnswersError as error:
        errors += error.to_problem(language).errors or []
    uploaded = {document.kind for document in documents_of(session, application)}
    missing = LocalizedText(
        id="Dokumen wajib ini belum diunggah.", en="This required document is not uploaded yet."
    ).in_language(language)
    errors += [
        FieldError(
            field=f"documents.{kind.code}", code=ErrorCode.VALIDATION_FAILED, message=missing
        )
        for kind in permit_type.document_kinds()
        if kind.required and kind.code not in uploaded
    ]
    if errors:
        raise Unprocessable(
            "; ".join(f"{error.field}: {error.message}" for error in errors),
            code=ErrorCode.APPLICATION_INCOMPLETE,
            errors=errors,
        )


def submit(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    language: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Send a complete draft to the agency; the statutory clock starts today."""
    now = now or utcnow()
    require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    ensure_allowed(application, user, "submit")
    _require_complete(session, application=application, permit_type=permit_type, language=language)
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="submit",
        now=now,
    )
    _, today = local_today(session, now)
    application.submitted_at = now
    application.due_on = deadlines.due_date(
        deadlines.calendar_around(session, today),
        submitted_on=today,
        working_days=permit_type.deadline_working_days,
    )
    _enter_step(session, permit_type, application, 0, actor=user)
    session.flush()
    return application


def withdraw(
    session: Session, *, application: PermitApplication, user: User, now: dt.datetime | None = None
) -> PermitApplication:
    require_applicant(application, user)
    take(
        session,
        application=application,
        permit_type=permit_type_of(session, application),
        actor=user,
        action="withdraw",
        now=now or utcnow(),
    )
    _leave_review(application)
    return application


def _leave_review(application: PermitApplication) -> None:
    application.step_role = None
    application.assignee_id = None
    application.paused_at = None


# --- Review ---


def claim(
    session: Session, *, application: PermitApplication, user: User, now: dt.datetime | None = None
) -> PermitApplication:
    """Take the current step; claiming a newly submitted application starts its review."""
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    _require_step_role(permit_type, application, user)
    if application.assignee_id not in (None, user.id):
        raise Conflict(
            bilingual(
                "Rekan lain sedang menangani tahap ini; kepala dinas dapat mengalihkannya.",
                "A colleague holds this step; a supervisor can reassign it or take it over.",
            ),
            code=ErrorCode.STEP_NOT_HELD,
        )
    _hold(session, permit_type, application, user=user, action="claim", now=now)
    return application


def take_over(
    session: Session, *, application: PermitApplication, user: User, now: dt.datetime | None = None
) -> PermitApplication:
    """A supervisor takes the current step, whoever held it and whatever role it names, to
    decide it themselves; the audit trail records from whom."""
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    ensure_allowed(application, user, "take_over")
    _hold(
        session,
        permit_type,
        application,
        user=user,
        action="take_over",
        now=now,
        details={"previous_assignee_id": application.assignee_id},
    )
    return application


def _hold(
    session: Session,
    permit_type: PermitType,
    application: PermitApplication,
    *,
    user: User,
    action: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Make `user` the holder of the current step; taking a newly submitted application
    starts its review."""
    if application.status == _S.SUBMITTED:
        take(
            session,
            application=application,
            permit_type=permit_type,
            actor=user,
            action="start_review",
            now=now,
        )
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action=action,
        now=now,
        public=False,
        details=details,
    )
    application.assignee_id = user.id
    session.flush()


def assign(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    assignee_id: int,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """A supervisor hands the application to a colleague who can take its current step."""
    ensure_allowed(application, user, "assign")
    assignee = session.get(User, assignee_id)
    if (
        assignee is None
        or not assignee.is_active
        or assignee.agency_id != application.agency_id
        or (application.step_role is not None and assignee.role != application.step_role)
    ):
        raise Unprocessable.for_field(
            "assignee_id",
            ErrorCode.VALIDATION_FAILED,
            "Assign to an active colleague of this agency whose role the current step needs.",
        )
    take(
        session,
        application=application,
        permit_type=permit_type_of(session, application),
        actor=user,
        action="assign",
        now=now or utcnow(),
        public=False,
        details={"assignee_id": assignee.id},
    )
    application.assignee_id = assignee.id
    if assignee.id != user.id:
        number = application.registration_number
        notify(
            session,
            user_ids=[assignee.id],
            kind="permit.assigned",
            message=Message(
                title_id=f"Permohonan {number} ditugaskan kepada Anda",
                title_en=f"Application {number} was assigned to you",
            ),
            subject_type="permit",
            subject_id=application.id,
        )
    session.flush()
    return application


def approve(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    note: str | None,
    issuer: CertificateIssuer,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Approve the current step; the last step's approval decides the application.

    A decided application is billed when the permit type has a fee, and issued at once when not.
    """
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    _require_step_role(permit_type, application, user)
    ensure_allowed(application, user, "approve_step")
    _require_holder(application, user)
    steps = permit_type.review_steps()
    if application.step_index + 1 < len(steps):
        take(
            session,
            application=application,
            permit_type=permit_type,
            actor=user,
            action="approve_step",
            now=now,
            note=note,
        )
        _enter_step(session, permit_type, application, application.step_index + 1, actor=user)
        session.flush()
        return application
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="decide_approve",
        now=now,
        note=note,
    )
    application.decided_at = now
    _leave_review(application)
    if permit_type.fee > 0:
        bill(session, application=application, permit_type=permit_type, now=now)
    else:
        issue(session, application=application, permit_type=permit_type, issuer=issuer, now=now)
        take(
            session,
            application=application,
            permit_type=permit_type,
            actor=user,
            action="issue",
            now=now,
        )
    return application


def request_information(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    note: str,
    fields: Sequence[str],
    documents: Sequence[str],
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Ask the applicant for corrections; the statutory clock stops until they resubmit."""
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    _require_step_role(permit_type, application, user)
    field_codes = {field.code for field in permit_type.form_fields()}
    document_codes = {kind.code for kind in permit_type.document_kinds()}
    errors = [
        FieldError(field="fields", code=ErrorCode.VALIDATION_FAILED, message=f"unknown field {c!r}")
        for c in fields
        if c not in field_codes
    ] + [
        FieldError(
            field="documents", code=ErrorCode.VALIDATION_FAILED, message=f"unknown document {c!r}"
        )
        for c in documents
        if c not in document_codes
    ]
    if not fields and not documents:
        errors.append(
            FieldError(
                field="fields",
                code=ErrorCode.VALIDATION_FAILED,
                message="Name at least one field or document the applicant must provide.",
            )
        )
    if errors:
        raise Unprocessable("; ".join(error.message for error in errors), errors=errors)
    application.requested_fields = list(dict.fromkeys(fields))
    application.requested_documents = list(dict.fromkeys(documents))
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="request_info",
        now=now,
        note=note,
        details={
            "fields": application.requested_fields,
            "documents": application.requested_documents,
        },
    )
    application.paused_at = now
    session.flush()
    return application


def resubmit(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    language: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Send the corrected application back; the due date moves by the paused working days."""
    now = now or utcnow()
    require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    ensure_allowed(application, user, "resubmit")
    _require_complete(session, application=application, permit_type=permit_type, language=language)
    region = region_snapshot(session)
    paused_on = to_local_date(application.paused_at or now, region.time_zone)
    resumed_on = to_local_date(now, region.time_zone)
    assert application.due_on is not None  # set when it was submitted
    resumption = deadlines.resume(
        deadlines.calendar_around(session, resumed_on),
        due_on=application.due_on,
        paused_on=paused_on,
        resumed_on=resumed_on,
    )
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="resubmit",
        now=now,
        details={
            "paused_working_days": resumption.paused_working_days,
            "due_on": resumption.due_on.isoformat(),
        },
    )
    application.pauses = [
        *application.pauses,
        {
            "paused_on": paused_on.isoformat(),
            "resumed_on": resumed_on.isoformat(),
            "working_days": resumption.paused_working_days,
        },
    ]
    application.paused_working_days += resumption.paused_working_days
    application.due_on = resumption.due_on
    application.paused_at = None
    application.requested_fields = []
    application.requested_documents = []
    session.flush()
    return application


def reject(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    reasons: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    _require_step_role(permit_type, application, user)
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="reject",
        now=now,
        note=reasons,
    )
    application.decided_at = now
    _leave_review(application)
    session.flush()
    return application


def comment(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    text: str,
    internal: bool,
    now: dt.datetime | None = None,
) -> PermitEvent:
    """A note on the application: to the applicant, or (staff only) internal to the agency."""
    if internal and user.role == Role.RESIDENT:
        raise Forbidden("Internal notes are for agency staff.")
    return take(
        session,
        application=application,
        permit_type=permit_type_of(session, application),
        actor=user,
        action="comment",
        now=now or utcnow(),
        note=text,
        public=not internal,
    )


# --- After issuing ---


def revoke(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    reason: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    now = now or utcnow()
    _, today = local_today(session, now)
    status = effective_status(application, today)
    if status != application.status:  # lapsed, though the daily job has not recorded it yet
        raise refusal("revoke", status, user.role)
    take(
        session,
        application=application,
        permit_type=permit_type_of(session, application),
        actor=user,
        action="revoke",
        now=now,
        note=reason,
    )
    application.revoked_at = now
    application.revocation_reason = reason
    session.flush()
    return application

"""The rules of the permit lifecycle, from draft to issued permit and on to expiry.

Every function takes the session and keyword-only arguments, flushes and never commits: the
router (or the CLI) owns the transaction. Status changes go through `_take`, which asks the
shared state machine, applies the change, appends to the audit trail and tells the applicant
about every public change made by someone else. Functions that depend on the date accept
`now`, so tests can stand on any day of the calendar.

Who may see an application is decided by `can_see` (used by the API's loader, which answers 404
otherwise); what a visible caller may do is decided here, by the state machine and by the role
the permit type's current review step names.
"""

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db import insert_on_conflict, utcnow
from backend.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable, bilingual
from backend.notifications.service import Message, notify, notify_agency_staff
from backend.pagination import after_cursor, page_of
from backend.permits import deadlines
from backend.permits.certificates import CertificateContent, CertificateIssuer, date_id
from backend.permits.models import PermitApplication, PermitCounter, PermitDocument, PermitEvent
from backend.region import service as region_service
from backend.region.forms import FormAnswersError, validate_form_answers
from backend.region.models import Agency, PermitType, Region
from backend.region.pack import DocumentKind, FieldType, FormField, LocalizedText, ReviewStep
from backend.uploads import Document
from shared.errors import ErrorCode
from shared.permits import PERMIT_MACHINE, PermitStatus
from shared.roles import SYSTEM, Actor, Role
from shared.statemachine import TransitionNotAllowed
from shared.workdays import to_local_date

REGISTRATION_SERIES = "IZN"
# 503 is the classification code for permits in Indonesian government correspondence.
PERMIT_SERIES = "503"
# Renewable permits: the holder is reminded this many days before the last valid day.
REMINDER_DAYS = (30, 7)
# Form answers left off the certificate: identity and contact data a printed permit shows to all.
PRIVATE_FIELD_TYPES = frozenset({FieldType.NIK, FieldType.PHONE, FieldType.EMAIL})

_S = PermitStatus


# --- Numbers ---


def _next_in_series(session: Session, *, series: str, year: int) -> int:
    """The next number of a yearly series, unique however many requests ask at once.

    The counter row is created if missing (a concurrent creator is ignored), then incremented
    with UPDATE ... RETURNING: PostgreSQL's row lock and SQLite's single writer make every
    caller wait for the previous one's transaction, so no number is handed out twice.
    """
    session.execute(
        insert_on_conflict(session.get_bind().dialect.name, PermitCounter)
        .values(series=series, year=year, value=0)
        .on_conflict_do_nothing()
    )
    return session.execute(
        update(PermitCounter)
        .where(col(PermitCounter.series) == series, col(PermitCounter.year) == year)
        .values(value=PermitCounter.value + 1)
        .returning(PermitCounter.value)
    ).scalar_one()


def _registration_number(session: Session, year: int) -> str:
    number = _next_in_series(session, series=REGISTRATION_SERIES, year=year)
    return f"{REGISTRATION_SERIES}-{year}-{number:06d}"


def _permit_number(session: Session, *, year: int, agency_code: str) -> str:
    number = _next_in_series(session, series=PERMIT_SERIES, year=year)
    return f"{PERMIT_SERIES}/{number:06d}/{agency_code.upper()}/{year}"


# --- Reading ---


def can_see(user: User, application: PermitApplication) -> bool:
    """Residents see their own; staff their agency's and admins all, except drafts."""
    if user.role == Role.RESIDENT:
        return application.applicant_id == user.id
    if application.status == _S.DRAFT:
        return False
    return user.role == Role.ADMIN or application.agency_id == user.agency_id


def effective_status(application: PermitApplication, today: dt.date) -> PermitStatus:
    """The status as people should read it: an issued permit past its last day has expired."""
    if (
        application.status == _S.ISSUED
        and application.valid_until is not None
        and application.valid_until < today
    ):
        return _S.EXPIRED
    return application.status


def local_today(session: Session, now: dt.datetime) -> tuple[Region, dt.date]:
    region = region_service.get_region(session)
    return region, to_local_date(now, region.time_zone)


def list_applications(
    session: Session,
    *,
    user: User,
    status: PermitStatus | None,
    cursor: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> tuple[list[PermitApplication], str | None]:
    """A resident's own applications, or the ones staff may see; newest first."""
    statement = select(PermitApplication)
    if user.role == Role.RESIDENT:
        statement = statement.where(PermitApplication.applicant_id == user.id)
    else:
        statement = statement.where(PermitApplication.status != _S.DRAFT)
        if user.role != Role.ADMIN:
            statement = statement.where(PermitApplication.agency_id == user.agency_id)
    if status is not None:
        _, today = local_today(session, now or utcnow())
        statement = statement.where(_effective_status_is(status, today))
    statement = after_cursor(statement, [col(PermitApplication.id)], cursor, descending=True)
    rows = list(session.exec(statement.limit(limit + 1)))
    return page_of(rows, limit=limit, key=lambda a: [a.id])


def _effective_status_is(status: PermitStatus, today: dt.date) -> ColumnElement[bool]:
    lapsed = (PermitApplication.status == _S.ISSUED) & (col(PermitApplication.valid_until) < today)
    if status == _S.EXPIRED:
        return (PermitApplication.status == _S.EXPIRED) | lapsed
    if status == _S.ISSUED:
        return (PermitApplication.status == _S.ISSUED) & ~lapsed
    return PermitApplication.status == status


def review_queue(
    session: Session, *, user: User, cursor: str | None, limit: int
) -> tuple[list[PermitApplication], str | None]:
    """Applications of the user's agency waiting on a step for the user's role, by due date."""
    statement = select(PermitApplication).where(
        PermitApplication.agency_id == user.agency_id,
        col(PermitApplication.status).in_([_S.SUBMITTED, _S.IN_REVIEW]),
        PermitApplication.step_role == user.role,
    )
    columns = [col(PermitApplication.due_on), col(PermitApplication.id)]
    statement = after_cursor(statement, columns, cursor).limit(limit + 1)
    rows = list(session.exec(statement))
    return page_of(rows, limit=limit, key=lambda a: [a.due_on.isoformat(), a.id])


def documents_of(session: Session, application: PermitApplication) -> list[PermitDocument]:
    statement = (
        select(PermitDocument)
        .where(PermitDocument.application_id == application.id)
        .order_by(PermitDocument.id)
    )
    return list(session.exec(statement))


def get_document(
    session: Session, *, application: PermitApplication, document_id: int
) -> PermitDocument:
    document = session.get(PermitDocument, document_id)
    if document is None or document.application_id != application.id:
        raise NotFound("There is no such document on this application.")
    return document


def events_of(
    session: Session, application: PermitApplication, *, public_only: bool
) -> list[PermitEvent]:
    statement = select(PermitEvent).where(PermitEvent.application_id == application.id)
    if public_only:
        statement = statement.where(col(PermitEvent.public))
    return list(session.exec(statement.order_by(PermitEvent.id)))


def permit_type_of(session: Session, application: PermitApplication) -> PermitType:
    permit_type = session.get(PermitType, application.permit_type_id)
    assert permit_type is not None  # a foreign key, and permit types are never deleted
    return permit_type


# --- Status changes ---


def _refusal(action: str, status: str, role: Actor) -> Conflict | Forbidden:
    """403 when the role may never take the action; 409 when only the status is wrong now."""
    if any(PERMIT_MACHINE.can(action, other, role) for other in PermitStatus):
        return Conflict(
            f"The action {action} is not possible while the application is {status}.",
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    return Forbidden(f"Your role may not take the action {action}.")


def _ensure_allowed(application: PermitApplication, actor: User, action: str) -> None:
    """Check an action before work that must not happen when it is refused."""
    if not PERMIT_MACHINE.can(action, application.status, actor.role):
        raise _refusal(action, application.status, actor.role)


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


def _current_step(permit_type: PermitType, application: PermitApplication) -> ReviewStep | None:
    steps = permit_type.review_steps()
    return steps[application.step_index] if application.step_index < len(steps) else None


def _take(
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
        raise _refusal(action, application.status, role) from None
    step = _current_step(permit_type, application) if application.step_role else None
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
        step = _current_step(permit_type, application)
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


def _require_applicant(application: PermitApplication, user: User) -> None:
    if user.id != application.applicant_id:
        raise Forbidden("Only the applicant may do this.")


# --- Drafting ---


def _clean_answers(
    permit_type: PermitType, answers: dict[str, Any], *, language: str
) -> dict[str, Any]:
    """Answers valid so far (a draft may be incomplete); unknown or bad ones are a 422."""
    try:
        return validate_form_answers(permit_type.form_fields(), answers, partial=True)
    except FormAnswersError as error:
        raise error.to_problem(language) from None


def create_draft(
    session: Session,
    *,
    applicant: User,
    permit_type_code: str,
    answers: dict[str, Any],
    language: str,
    renewal_of: PermitApplication | None = None,
    now: dt.datetime | None = None,
) -> PermitApplication:
    now = now or utcnow()
    permit_type = region_service.get_permit_type_by_code(session, code=permit_type_code)
    _, today = local_today(session, now)
    application = PermitApplication(
        registration_number=_registration_number(session, today.year),
        permit_type_id=permit_type.id,
        agency_id=permit_type.agency_id,
        applicant_id=applicant.id,
        renewal_of_id=renewal_of.id if renewal_of else None,
        answers=_clean_answers(permit_type, answers, language=language),
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    session.flush()
    return application


def renew(
    session: Session,
    *,
    application: PermitApplication,
    applicant: User,
    language: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """A new draft for the same permit type, prefilled with the old permit's answers.

    Answers the type's form no longer accepts (a field dropped, a rule tightened) are left
    out; documents are uploaded anew, since identity papers and statements must be current.
    """
    now = now or utcnow()
    _require_applicant(application, applicant)
    permit_type = permit_type_of(session, application)
    _, today = local_today(session, now)
    if not permit_type.renewable:
        raise Conflict("This kind of permit cannot be renewed; apply for a new one.")
    if effective_status(application, today) not in {_S.ISSUED, _S.EXPIRED}:
        raise Conflict(
            "Only an issued or expired permit can be renewed.",
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    fields = permit_type.form_fields()
    answers = application.answers
    try:
        validate_form_answers(fields, answers, partial=True)
    except FormAnswersError as error:
        rejected = {answer_error.field for answer_error in error.errors}
        answers = {code: value for code, value in answers.items() if code not in rejected}
    return create_draft(
        session,
        applicant=applicant,
        permit_type_code=permit_type.code,
        answers=answers,
        language=language,
        renewal_of=application,
        now=now,
    )


def update_answers(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    changes: dict[str, Any],
    language: str,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Change answers of a draft, or, when the reviewer asked for information, the fields asked."""
    _require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    if application.status == _S.NEEDS_INFO:
        not_asked = sorted(set(changes) - set(application.requested_fields))
        if not_asked:
            errors = [
                FieldError(
                    field=f"answers.{code}",
                    code=ErrorCode.VALIDATION_FAILED,
                    message=LocalizedText(
                        id="Petugas tidak meminta isian ini diubah.",
                        en="The reviewer did not ask for this field to change.",
                    ).in_language(language),
                )
                for code in not_asked
            ]
            raise Unprocessable("Only the fields the reviewer asked for can change.", errors=errors)
    elif application.status != _S.DRAFT:
        raise Conflict(
            "A submitted application cannot be edited.", code=ErrorCode.TRANSITION_NOT_ALLOWED
        )
    merged = {**application.answers, **changes}
    application.answers = _clean_answers(permit_type, merged, language=language)
    application.updated_at = now or utcnow()
    session.add(application)
    session.flush()
    return application


def delete_draft(session: Session, *, application: PermitApplication, user: User) -> None:
    _require_applicant(application, user)
    if application.status != _S.DRAFT:
        raise Conflict(
            "Only a draft can be deleted; withdraw a submitted application instead.",
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    for document in documents_of(session, application):
        session.delete(document)
    session.delete(application)
    session.flush()


def document_kind_for_upload(
    session: Session, *, application: PermitApplication, user: User, kind: str
) -> DocumentKind:
    """The document kind a file may be uploaded for now (checked before the file is read)."""
    _require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    document_kind = next((k for k in permit_type.document_kinds() if k.code == kind), None)
    if document_kind is None:
        raise NotFound(f"This permit type has no document kind {kind!r}.")
    if application.status == _S.NEEDS_INFO and kind not in application.requested_documents:
        raise Conflict(
            "The reviewer did not ask for this document.", code=ErrorCode.TRANSITION_NOT_ALLOWED
        )
    if application.status not in {_S.DRAFT, _S.NEEDS_INFO}:
        raise Conflict(
            "Documents can be changed only in a draft or when the reviewer asks for them.",
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    return document_kind


def save_document(
    session: Session,
    *,
    application: PermitApplication,
    kind: str,
    document: Document,
    file_key: str,
    file_name: str,
    now: dt.datetime | None = None,
) -> PermitDocument:
    """Attach a checked file as the application's document of `kind`, replacing an earlier one."""
    now = now or utcnow()
    statement = select(PermitDocument).where(
        PermitDocument.application_id == application.id, PermitDocument.kind == kind
    )
    row = session.exec(statement).first()
    if row is None:
        row = PermitDocument(application_id=application.id, kind=kind)
    row.file_key = file_key
    row.media_type = document.media_type
    row.size_bytes = len(document.data)
    row.pages = document.pages
    row.file_name = file_name[:200] or kind
    row.uploaded_at = now
    application.updated_at = now
    session.add_all([row, application])
    session.flush()
    return row


def delete_document(
    session: Session, *, application: PermitApplication, user: User, document: PermitDocument
) -> None:
    _require_applicant(application, user)
    if application.status != _S.DRAFT:
        raise Conflict(
            "Documents can be removed only from a draft.", code=ErrorCode.TRANSITION_NOT_ALLOWED
        )
    session.delete(document)
    session.flush()


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
    _require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    _ensure_allowed(application, user, "submit")
    _require_complete(session, application=application, permit_type=permit_type, language=language)
    _take(
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
    _require_applicant(application, user)
    _take(
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
    _ensure_allowed(application, user, "take_over")
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
        _take(
            session,
            application=application,
            permit_type=permit_type,
            actor=user,
            action="start_review",
            now=now,
        )
    _take(
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
    _ensure_allowed(application, user, "assign")
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
    _take(
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
    _ensure_allowed(application, user, "approve_step")
    _require_holder(application, user)
    steps = permit_type.review_steps()
    if application.step_index + 1 < len(steps):
        _take(
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
    _take(
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
        application.fee_amount = permit_type.fee
        # The registration number's year and sequence, so the reference is unique and short.
        application.payment_reference = "PAY-" + application.registration_number.split("-", 1)[1]
        _take(
            session,
            application=application,
            permit_type=permit_type,
            actor=None,
            action="require_payment",
            now=now,
            details={"amount": permit_type.fee, "reference": application.payment_reference},
        )
    else:
        _issue(session, application=application, permit_type=permit_type, issuer=issuer, now=now)
        _take(
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
    _take(
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
    _require_applicant(application, user)
    permit_type = permit_type_of(session, application)
    _ensure_allowed(application, user, "resubmit")
    _require_complete(session, application=application, permit_type=permit_type, language=language)
    region = region_service.get_region(session)
    paused_on = to_local_date(application.paused_at or now, region.time_zone)
    resumed_on = to_local_date(now, region.time_zone)
    resumption = deadlines.resume(
        deadlines.calendar_around(session, resumed_on),
        due_on=application.due_on,
        paused_on=paused_on,
        resumed_on=resumed_on,
    )
    _take(
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
    _take(
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
    return _take(
        session,
        application=application,
        permit_type=permit_type_of(session, application),
        actor=user,
        action="comment",
        now=now or utcnow(),
        note=text,
        public=not internal,
    )


# --- Payment, issuing and after ---


def record_payment(
    session: Session,
    *,
    application: PermitApplication,
    user: User,
    receipt_number: str,
    amount: int,
    paid_on: dt.date,
    issuer: CertificateIssuer,
    now: dt.datetime | None = None,
) -> PermitApplication:
    """Record the payment made at the counter or bank; it issues the permit."""
    now = now or utcnow()
    permit_type = permit_type_of(session, application)
    _, today = local_today(session, now)
    _ensure_allowed(application, user, "record_payment")
    if amount != application.fee_amount:
        raise Unprocessable.for_field(
            "amount",
            ErrorCode.VALIDATION_FAILED,
            f"The amount billed is Rp {application.fee_amount}; Rp {amount} was given.",
        )
    if paid_on > today:
        raise Unprocessable.for_field(
            "paid_on", ErrorCode.VALIDATION_FAILED, "A payment cannot be dated in the future."
        )
    application.payment_receipt = receipt_number
    application.paid_amount = amount
    application.paid_on = paid_on
    _issue(session, application=application, permit_type=permit_type, issuer=issuer, now=now)
    _take(
        session,
        application=application,
        permit_type=permit_type,
        actor=user,
        action="record_payment",
        now=now,
        details={
            "receipt_number": receipt_number,
            "amount": amount,
            "paid_on": paid_on.isoformat(),
        },
    )
    return application


def _issue(
    session: Session,
    *,
    application: PermitApplication,
    permit_type: PermitType,
    issuer: CertificateIssuer,
    now: dt.datetime,
) -> None:
    """Give the permit its number, dates, verification code and signed certificate."""
    region, today = local_today(session, now)
    agency = session.get(Agency, application.agency_id)
    holder = session.get(User, application.applicant_id)
    application.permit_number = _permit_number(session, year=today.year, agency_code=agency.code)
    application.issued_at = now
    application.valid_from = today
    application.valid_until = (
        today + dt.timedelta(days=permit_type.validity_days - 1)
        if permit_type.validity_days
        else None
    )
    application.verification_code = secrets.token_urlsafe(24)
    answered = [field for field in permit_type.form_fields() if field.code in application.answers]
    details = [
        (field.label.id, field.label.en, _printable(field, application.answers[field.code]))
        for field in answered
        if field.type not in PRIVATE_FIELD_TYPES
    ]
    application.certificate_key = issuer.produce(
        CertificateContent(
            city=region.name,
            agency=agency.name,
            permit_type=permit_type.name,
            permit_type_code=permit_type.code,
            permit_number=application.permit_number,
            registration_number=application.registration_number,
            holder_name=holder.full_name,
            issued_on=today,
            issued_at=now,
            valid_from=application.valid_from,
            valid_until=application.valid_until,
            details=details,
            verification_code=application.verification_code,
        )
    )


def _printable(field: FormField, value: Any) -> str:
    """An answer as the certificate prints it: choices by their Indonesian label (or as stored,
    if the region pack has since dropped the choice)."""
    labels = {choice.value: choice.label.id for choice in field.choices}
    if field.type == FieldType.BOOLEAN:
        return "Ya / Yes" if value else "Tidak / No"
    if field.type == FieldType.MULTICHOICE:
        return ", ".join(labels.get(item, item) for item in value)
    if field.type == FieldType.CHOICE:
        return labels.get(value, value)
    if field.type == FieldType.DATE:
        return date_id(dt.date.fromisoformat(value))
    if field.type == FieldType.COORDINATES:
        return f"{value['latitude']}, {value['longitude']}"
    return str(value)


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
        raise _refusal("revoke", status, user.role)
    _take(
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


@dataclass(frozen=True)
class DailyReport:
    expired: int
    reminded: int


def run_daily(session: Session, *, now: dt.datetime | None = None) -> DailyReport:
    """Expire permits past their last day and remind holders of renewable permits.

    Reminders go out 30 and 7 days before the last valid day, each at most once: the smallest
    threshold reminded of is stored, and a run that missed the 30-day one sends only the 7-day
    one. Rows are locked as they are handled (skipping rows another run holds on PostgreSQL),
    so two runs at once do not expire or remind twice.
    """
    now = now or utcnow()
    _, today = local_today(session, now)
    lapsed = session.exec(
        select(PermitApplication, PermitType)
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .where(PermitApplication.status == _S.ISSUED, col(PermitApplication.valid_until) < today)
        .with_for_update(skip_locked=True, of=PermitApplication)
    ).all()
    for application, permit_type in lapsed:
        _take(
            session,
            application=application,
            permit_type=permit_type,
            actor=None,
            action="expire",
            now=now,
        )
    expiring = session.exec(
        select(PermitApplication, PermitType)
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .where(
            PermitApplication.status == _S.ISSUED,
            col(PermitType.renewable),
            col(PermitApplication.valid_until) >= today,
            col(PermitApplication.valid_until) <= today + dt.timedelta(days=max(REMINDER_DAYS)),
        )
        .with_for_update(skip_locked=True, of=PermitApplication)
    ).all()
    reminded = 0
    for application, permit_type in expiring:
        days_left = (application.valid_until - today).days
        threshold = min(days for days in REMINDER_DAYS if days >= days_left)
        already = application.reminded_days_before
        if already is not None and already <= threshold:
            continue
        _remind(session, application=application, permit_type=permit_type, days_left=days_left)
        application.reminded_days_before = threshold
        session.add(application)
        reminded += 1
    session.flush()
    return DailyReport(expired=len(lapsed), reminded=reminded)


def _remind(
    session: Session, *, application: PermitApplication, permit_type: PermitType, days_left: int
) -> None:
    until = application.valid_until.isoformat()
    notify(
        session,
        user_ids=[application.applicant_id],
        kind="permit.expiry_reminder",
        message=Message(
            title_id=f"Izin {application.permit_number} berakhir dalam {days_left} hari",
            title_en=f"Permit {application.permit_number} expires in {days_left} days",
            body_id=f"{permit_type.name.id} berlaku sampai {until}. Ajukan perpanjangan di Warga.",
            body_en=f"{permit_type.name.en} is valid until {until}. Apply to renew it in Warga.",
        ),
        subject_type="permit",
        subject_id=application.id,
    )


def first_coordinates(
    permit_type: PermitType, application: PermitApplication
) -> dict[str, float] | None:
    """The answer to the form's first location field, if the form has one and it is answered."""
    for field in permit_type.form_fields():
        if field.type == FieldType.COORDINATES:
            return application.answers.get(field.code)
    return None

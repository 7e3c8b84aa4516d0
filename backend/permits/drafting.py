"""The applicant's draft: creating (or renewing into) one, its answers and its documents.

Answers and documents change freely in a draft; once submitted, only those the reviewer asked
for (while the application needs information). Submitting is in `workflow`.
"""

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.errors import Conflict, FieldError, NotFound, Unprocessable
from backend.permits.models import PermitApplication, PermitDocument
from backend.permits.numbering import next_registration_number
from backend.permits.queries import documents_of, effective_status, local_today, permit_type_of
from backend.permits.transitions import require_applicant
from backend.region import service as region_service
from backend.region.forms import FormAnswersError, validate_form_answers
from backend.region.models import PermitType
from backend.region.pack import DocumentKind, LocalizedText
from backend.uploads import Document
from shared.errors import ErrorCode
from shared.permits import PermitStatus

_S = PermitStatus


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
        registration_number=next_registration_number(session, today.year),
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
    require_applicant(application, applicant)
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
    require_applicant(application, user)
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
    require_applicant(application, user)
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
    require_applicant(application, user)
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
        # Table models are built field by field (below); pydantic's typed init wants all at once.
        row = PermitDocument(application_id=application.id, kind=kind)  # type: ignore[call-arg]
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
    require_applicant(application, user)
    if application.status != _S.DRAFT:
        raise Conflict(
            "Documents can be removed only from a draft.", code=ErrorCode.TRANSITION_NOT_ALLOWED
        )
    session.delete(document)
    session.flush()

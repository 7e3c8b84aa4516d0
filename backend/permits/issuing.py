"""Issuing a permit: its number, validity, verification code and signed certificate, and the
form answers as the certificate prints them."""

import datetime as dt
import secrets
from typing import Any

from sqlmodel import Session

from backend.accounts.models import User
from backend.permits.certificates import CertificateContent, CertificateIssuer, date_id
from backend.permits.models import PermitApplication
from backend.permits.numbering import next_permit_number
from backend.permits.queries import local_today
from backend.region.models import Agency, PermitType
from backend.region.pack import FieldType, FormField

# Form answers left off the certificate: identity and contact data a printed permit shows to all.
PRIVATE_FIELD_TYPES = frozenset({FieldType.NIK, FieldType.PHONE, FieldType.EMAIL})


def issue(
    session: Session,
    *,
    application: PermitApplication,
    permit_type: PermitType,
    issuer: CertificateIssuer,
    now: dt.datetime,
) -> None:
    """Give the permit its number, dates, verification code and signed certificate."""
    region, today = local_today(session, now)
    agency = session.get_one(Agency, application.agency_id)
    holder = session.get_one(User, application.applicant_id)
    application.permit_number = next_permit_number(
        session, year=today.year, agency_code=agency.code
    )
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

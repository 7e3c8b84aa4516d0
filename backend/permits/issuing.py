"""Issuing a permit: its number, validity and verification code, then its signed certificate.

The number, dates and code commit first; the certificate is produced after the commit. The
permit-number counter row stays locked until the issuing transaction ends (see `numbering`), and
a certificate takes about 50 ms to sign and render: made inside that transaction, it held every
other issuing (and on SQLite every write of the process) behind it.

So issuing also gives the issuing request a claim on producing the certificate
(`certificate_claimed_until`). Right after its commit the request signs, renders, stores and
records the certificate (`produce_certificate`), holding no lock and no transaction while it
renders. Should that fail, or the process die in between, the claim is released or lapses and
the ``permits.certificates`` job produces it (`produce_pending_certificates`), each permit
claimed by one run only (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional claim on both
engines). Until the certificate is recorded, its endpoints answer `CertificateNotReady`.
"""

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.errors import Unavailable, bilingual
from backend.permits.certificates import CertificateContent, CertificateIssuer, date_id
from backend.permits.models import PermitApplication
from backend.permits.numbering import next_permit_number
from backend.permits.queries import local_today, permit_type_of
from backend.region.models import Agency, PermitType
from backend.region.pack import FieldType, FormField
from shared.errors import ErrorCode

logger = logging.getLogger("warga.permits.issuing")

# Form answers left off the certificate: identity and contact data a printed permit shows to all.
PRIVATE_FIELD_TYPES = frozenset({FieldType.NIK, FieldType.PHONE, FieldType.EMAIL})
# A certificate takes well under a second; a claim this old belongs to a producer that died.
CLAIM = dt.timedelta(seconds=60)
# How long a client waits before asking again for a certificate still being produced.
RETRY_AFTER_SECONDS = 2
# Certificates one job run produces at most (the rest wait for the next run).
JOB_BATCH = 50


class CertificateNotReady(Unavailable):
    """The permit is issued, but its certificate is still being produced: ask again shortly."""

    code = ErrorCode.CERTIFICATE_NOT_READY

    def __init__(self) -> None:
        super().__init__(
            bilingual(
                "Izin sudah terbit; sertifikatnya sedang disiapkan. Coba lagi sebentar lagi.",
                "The permit is issued; its certificate is being prepared. Try again shortly.",
            ),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def issue(
    session: Session,
    *,
    application: PermitApplication,
    permit_type: PermitType,
    issuer: CertificateIssuer,
    now: dt.datetime,
) -> None:
    """Give the permit its number, dates and verification code, and the caller the claim on
    producing its certificate (`produce_certificate`, once this transaction has committed)."""
    issuer.load_key()  # a city that cannot sign is refused (503) before anything is numbered
    _, today = local_today(session, now)
    agency = session.get_one(Agency, application.agency_id)
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
    application.certificate_claimed_until = utcnow() + CLAIM


def awaits_certificate(application: PermitApplication) -> bool:
    return application.permit_number is not None and application.certificate_key is None


def produce_certificate(
    session: Session, *, application: PermitApplication, issuer: CertificateIssuer
) -> None:
    """Produce the certificate of a permit this caller just issued (and so holds the claim of),
    after the issuing commit. A failure is logged, not raised: the permit stands, and the
    released claim lets the next job run produce it."""
    content = certificate_content(session, application)
    session.commit()  # end the read: nothing is held while the certificate renders
    _produce(session, [(application.id, content)], issuer)


def produce_pending_certificates(
    session: Session, *, issuer: CertificateIssuer, now: dt.datetime | None = None
) -> int:
    """The job: produce the certificates that issued permits still lack and no live claim
    covers (a producer failed or died). Returns how many were produced."""
    now = now or utcnow()
    candidates = session.exec(
        select(PermitApplication.id)
        .where(_unclaimed_pending(now))
        .order_by(col(PermitApplication.id))
        .limit(JOB_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        return 0
    # Conditional, so a run that read the same rows (SQLite has no SKIP LOCKED) claims none.
    claimed = session.scalars(
        update(PermitApplication)
        .where(col(PermitApplication.id).in_(candidates), _unclaimed_pending(now))
        .values(certificate_claimed_until=now + CLAIM)
        .returning(col(PermitApplication.id))
    ).all()
    applications = session.exec(
        select(PermitApplication).where(col(PermitApplication.id).in_(claimed))
    ).all()
    contents = [(a.id, certificate_content(session, a)) for a in applications]
    session.commit()  # the claims hold from here, with no lock: render outside any transaction
    return _produce(session, contents, issuer)


def _unclaimed_pending(now: dt.datetime) -> ColumnElement[bool]:
    claimed_until = col(PermitApplication.certificate_claimed_until)
    return (
        col(PermitApplication.permit_number).is_not(None)
        & col(PermitApplication.certificate_key).is_(None)
        & or_(claimed_until.is_(None), claimed_until < now)
    )


def _produce(
    session: Session, contents: Sequence[tuple[int, CertificateContent]], issuer: CertificateIssuer
) -> int:
    """Sign, render and store each certificate, then record its key and end the claim (the
    claim ends without a key when producing failed, for the next job run)."""
    produced = 0
    for application_id, content in contents:
        try:
            key = issuer.produce(content)
        except Exception:
            logger.exception("the certificate of permit %s failed", content.permit_number)
            key = None
        session.execute(
            update(PermitApplication)
            .where(
                col(PermitApplication.id) == application_id,
                col(PermitApplication.certificate_key).is_(None),
            )
            .values(certificate_key=key, certificate_claimed_until=None)
        )
        session.commit()
        produced += key is not None
    return produced


def certificate_content(session: Session, application: PermitApplication) -> CertificateContent:
    """What the certificate of an issued permit says."""
    # Set together when the permit was issued (`issue`), before any certificate is asked for.
    assert application.issued_at and application.permit_number and application.valid_from
    assert application.verification_code
    permit_type = permit_type_of(session, application)
    region, issued_on = local_today(session, application.issued_at)
    agency = session.get_one(Agency, application.agency_id)
    holder = session.get_one(User, application.applicant_id)
    answered = [field for field in permit_type.form_fields() if field.code in application.answers]
    return CertificateContent(
        city=region.name,
        agency=agency.name,
        permit_type=permit_type.name,
        permit_type_code=permit_type.code,
        permit_number=application.permit_number,
        registration_number=application.registration_number,
        holder_name=holder.full_name,
        issued_on=issued_on,
        issued_at=application.issued_at,
        valid_from=application.valid_from,
        valid_until=application.valid_until,
        details=[
            (field.label.id, field.label.en, _printable(field, application.answers[field.code]))
            for field in answered
            if field.type not in PRIVATE_FIELD_TYPES
        ],
        verification_code=application.verification_code,
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

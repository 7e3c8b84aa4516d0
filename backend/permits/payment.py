"""The fee of an approved permit: billing it, and recording its payment, which issues the permit."""

import datetime as dt

from sqlmodel import Session

from backend.accounts.models import User
from backend.db import utcnow
from backend.errors import Unprocessable
from backend.permits.certificates import CertificateIssuer
from backend.permits.issuing import issue
from backend.permits.models import PermitApplication
from backend.permits.queries import local_today, permit_type_of
from backend.permits.transitions import ensure_allowed, take
from backend.region.models import PermitType
from shared.errors import ErrorCode


def bill(
    session: Session, *, application: PermitApplication, permit_type: PermitType, now: dt.datetime
) -> None:
    """Bill the permit type's fee for a decided application, under a payment reference."""
    application.fee_amount = permit_type.fee
    # The registration number's year and sequence, so the reference is unique and short.
    application.payment_reference = "PAY-" + application.registration_number.split("-", 1)[1]
    take(
        session,
        application=application,
        permit_type=permit_type,
        actor=None,
        action="require_payment",
        now=now,
        details={"amount": permit_type.fee, "reference": application.payment_reference},
    )


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
    ensure_allowed(application, user, "record_payment")
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
    issue(session, application=application, permit_type=permit_type, issuer=issuer, now=now)
    take(
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

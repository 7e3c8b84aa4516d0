"""Public verification of an issued permit by its unguessable code: no login, every look-up logged.

The same answer serves the HTML page a phone opens from the certificate's QR code (Bahasa
Indonesia with English) and its JSON variant; it shows only what is needed to compare with
the paper in hand.
"""

import datetime as dt
from html import escape

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.permits import queries
from backend.permits.certificates import date_id
from backend.permits.models import PermitApplication, PermitVerification
from backend.permits.schemas import VerificationView
from backend.region.models import Agency
from backend.security_headers import page_policy
from shared.permits import PermitStatus
from shared.workdays import to_local_date

UNKNOWN = "unknown"
# A verification code is 32 characters; anything far longer is not worth a database look-up.
MAX_CODE_LENGTH = 64

_OUTCOMES = {
    PermitStatus.ISSUED: "valid",
    PermitStatus.EXPIRED: "expired",
    PermitStatus.REVOKED: "revoked",
}


def verify(
    session: Session,
    *,
    code: str,
    channel: str,
    client_address: str | None,
    user_agent: str | None,
    now: dt.datetime | None = None,
) -> VerificationView | None:
    """What the permit with this code is now (None: no such permit), logging the look-up."""
    now = now or utcnow()
    region, today = queries.local_today(session, now)
    application = None
    if len(code) <= MAX_CODE_LENGTH:
        application = session.exec(
            select(PermitApplication).where(PermitApplication.verification_code == code)
        ).first()
    outcome = (
        _OUTCOMES.get(queries.effective_status(application, today), UNKNOWN)
        if application
        else UNKNOWN
    )
    session.add(
        PermitVerification(
            application_id=application.id if application else None,
            code=code[:MAX_CODE_LENGTH],
            result=outcome,
            channel=channel,
            client_address=(client_address or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
            created_at=now,
        )
    )
    session.flush()
    if application is None or outcome == UNKNOWN:
        return None
    assert application.issued_at is not None  # every permit with a verification code was issued
    permit_type = queries.permit_type_of(session, application)
    return VerificationView(
        code=code,
        result=outcome,
        valid=outcome == "valid",
        permit_number=application.permit_number,
        permit_type=permit_type.name,
        agency=session.get_one(Agency, application.agency_id).name,
        holder_name=session.get_one(User, application.applicant_id).full_name,
        issued_on=to_local_date(application.issued_at, region.time_zone),
        valid_from=application.valid_from,
        valid_until=application.valid_until,
        revoked_on=(
            to_local_date(application.revoked_at, region.time_zone)
            if application.revoked_at
            else None
        ),
        checked_at=now,
    )


# Headline and colour of the page per outcome: (Indonesian, English, colour).
_HEADLINES = {
    "valid": ("Izin SAH dan berlaku", "Valid permit", "#1b7f3b"),
    "expired": ("Izin sudah TIDAK BERLAKU (habis masa berlaku)", "Permit expired", "#a86400"),
    "revoked": ("Izin telah DICABUT", "Permit revoked", "#b3261e"),
    UNKNOWN: (
        "Izin TIDAK DITEMUKAN. Dokumen ini mungkin palsu.",
        "No permit has this code. The document may be forged.",
        "#b3261e",
    ),
}


# One fixed style sheet (each outcome's colour a class), so the page's content security policy
# can allow exactly it by hash; the page runs no script at all.
PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; }
.status { color: #fff; padding: 1rem; border-radius: .5rem; }
th { text-align: left; vertical-align: top; padding: .4rem .8rem .4rem 0; }
td { padding: .4rem 0; } small { font-weight: normal; color: #555; }
""" + "".join(
    f".status.{outcome} {{ background: {colour}; }}\n"
    for outcome, (*_, colour) in _HEADLINES.items()
)
PAGE_POLICY = page_policy(f"<style>{PAGE_STYLE}</style>")


def _row(label_id: str, label_en: str, value: str) -> str:
    return (
        f"<tr><th>{escape(label_id)}<br><small>{escape(label_en)}</small></th>"
        f"<td>{escape(value)}</td></tr>"
    )


def render_page(view: VerificationView | None, *, city_name: str) -> str:
    outcome = view.result if view else UNKNOWN
    headline_id, headline_en, _ = _HEADLINES[outcome]
    rows = ""
    if view is not None:
        until = date_id(view.valid_until) if view.valid_until else "Tidak terbatas / No expiry"
        rows = "".join(
            [
                _row("Nomor izin", "Permit number", view.permit_number),
                _row("Jenis izin", "Permit type", f"{view.permit_type.id} ({view.permit_type.en})"),
                _row("Penerbit", "Issued by", view.agency.id),
                _row("Pemegang izin", "Holder", view.holder_name),
                _row("Tanggal terbit", "Issued on", date_id(view.issued_on)),
                _row("Berlaku sampai", "Valid until", until),
                *(
                    [_row("Dicabut pada", "Revoked on", date_id(view.revoked_on))]
                    if view.revoked_on
                    else []
                ),
            ]
        )
    return f"""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Verifikasi izin / Permit verification - {escape(city_name)}</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<p>{escape(city_name)} &middot; Verifikasi izin <small>(Permit verification)</small></p>
<div class="status {outcome}"><strong>{escape(headline_id)}</strong><br>{escape(headline_en)}</div>
<table>{rows}</table>
<p><small>Cocokkan data di atas dengan dokumen yang Anda pegang.
Compare the details above with the document in your hands.</small></p>
</body>
</html>
"""

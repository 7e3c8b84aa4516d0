"""The permit certificate: an A4 PDF in Bahasa Indonesia (English beneath) with a QR code.

The QR code holds the public verification URL on the API's own host, followed by a compact JWS
of the permit's essentials after ``#jws=``. A phone camera opens the URL (the fragment never
reaches the server); a verifier holding the city's public key checks the JWS offline.
"""

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape

import qrcode
from qrcode.image.pil import PilImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backend.config import Settings
from backend.permits.signing import CityKey, city_key
from backend.region.pack import LocalizedText
from backend.uploads import FileStore, file_store

JWS_MARKER = "#jws="

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def verification_url(base_url: str, code: str) -> str:
    """The public verification page of a permit, on the API's own host."""
    return f"{base_url.rstrip('/')}/verify/{code}"


def date_id(day: dt.date) -> str:
    """27 November 2026, as Indonesian documents write dates."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class CertificateContent:
    city: LocalizedText
    agency: LocalizedText
    permit_type: LocalizedText
    permit_type_code: str
    permit_number: str
    registration_number: str
    holder_name: str
    issued_on: dt.date
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date | None
    # The application's answers worth printing, as (Indonesian label, English label, value).
    details: list[tuple[str, str, str]]
    verification_code: str


def certificate_claims(content: CertificateContent, *, issuer: str) -> dict[str, str | int | None]:
    """What the JWS carries; short keys keep the QR code small enough to scan from paper.

    iss: the city, num: permit number, vc: verification code, typ: permit type code,
    hld: holder, iat: moment of issue (a JWT NumericDate: seconds since 1970 UTC), vf / vu:
    first and last valid day (vu null: no expiry).
    """
    return {
        "iss": issuer,
        "num": content.permit_number,
        "vc": content.verification_code,
        "typ": content.permit_type_code,
        "hld": content.holder_name,
        "iat": int(content.issued_at.timestamp()),
        "vf": content.valid_from.isoformat(),
        "vu": content.valid_until.isoformat() if content.valid_until else None,
    }


def qr_png(payload: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
    code.add_data(payload)
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "city": ParagraphStyle("city", parent=base["Title"], fontSize=16, spaceAfter=2),
        "agency": ParagraphStyle("agency", parent=base["Normal"], alignment=1, fontSize=10),
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, spaceBefore=10),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base["Normal"], alignment=1, textColor=colors.grey
        ),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=9, leading=11),
        "small": ParagraphStyle("small", parent=base["Normal"], fontSize=8, leading=10),
    }


def _pair(indonesian: str, english: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(
        f"{escape(indonesian)}<br/><font color='grey' size='7'><i>{escape(english)}</i></font>",
        style,
    )


def render_pdf(content: CertificateContent, *, qr_payload: str, verification_url: str) -> bytes:
    styles = _styles()
    until_id = date_id(content.valid_until) if content.valid_until else "Tidak terbatas"
    until_en = content.valid_until.isoformat() if content.valid_until else "No expiry"
    rows = [
        (("Nomor izin", "Permit number"), content.permit_number),
        (("Nomor pendaftaran", "Registration number"), content.registration_number),
        (("Jenis izin", "Permit type"), f"{content.permit_type.id} / {content.permit_type.en}"),
        (("Pemegang izin", "Holder"), content.holder_name),
        (("Tanggal terbit", "Issued on"), date_id(content.issued_on)),
        (("Berlaku mulai", "Valid from"), date_id(content.valid_from)),
        (("Berlaku sampai", "Valid until"), f"{until_id} ({until_en})"),
        *(((label_id, label_en), value) for label_id, label_en, value in content.details),
    ]
    table = Table(
        [
            [_pair(label_id, label_en, styles["cell"]), Paragraph(escape(value), styles["cell"])]
            for (label_id, label_en), value in rows
        ],
        colWidths=[55 * mm, 110 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{content.permit_type.id} {content.permit_number}",
        author=content.agency.id,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    # The QR code sits beside the heading, so it stays on the first page however long the
    # details run.
    heading = Table(
        [
            [
                [
                    Paragraph(escape(f"PEMERINTAH {content.city.id.upper()}"), styles["city"]),
                    Paragraph(escape(content.agency.id), styles["agency"]),
                    Paragraph(escape(content.permit_type.id.upper()), styles["title"]),
                    Paragraph(escape(content.permit_type.en), styles["subtitle"]),
                ],
                Image(io.BytesIO(qr_png(qr_payload)), width=40 * mm, height=40 * mm),
            ]
        ],
        colWidths=[125 * mm, 45 * mm],
    )
    heading.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    document.build(
        [
            heading,
            _pair(
                "Pindai kode QR atau buka alamat berikut untuk memeriksa keaslian dan status "
                f"izin ini: {verification_url}",
                "Scan the QR code or open this address to check that this permit is genuine "
                "and still valid.",
                styles["small"],
            ),
            Spacer(1, 6 * mm),
            table,
        ]
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class CertificateIssuer:
    """Everything issuing a certificate needs besides the permit: key, file store, public host."""

    # Loaded only when a certificate is made, so steps before issuing never need the key.
    load_key: Callable[[], CityKey]
    store: FileStore
    base_url: str  # the API's own origin, e.g. "https://warga.example/"
    issuer: str  # the city (region code), the JWS `iss`

    @classmethod
    def configured(cls, settings: Settings, *, region_code: str) -> "CertificateIssuer":
        """The issuer the settings describe; the QR code opens the city's public address."""
        return cls(
            load_key=partial(city_key, settings),
            store=file_store(settings),
            base_url=settings.public_origin,
            issuer=region_code,
        )

    def produce(self, content: CertificateContent) -> str:
        """Sign, render and store the certificate; return its file key."""
        url = verification_url(self.base_url, content.verification_code)
        token = self.load_key().sign(certificate_claims(content, issuer=self.issuer))
        pdf = render_pdf(content, qr_payload=f"{url}{JWS_MARKER}{token}", verification_url=url)
        return self.store.save(pdf)

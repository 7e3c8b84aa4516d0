"""Issued permits: the certificate PDF and its QR code, offline checking of the signed QR
payload against the city's JWKS, the public verification page, the public register, expiry
and renewal reminders."""

import base64
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from jose import jwk, jws
from jose.exceptions import JWSError
from pydantic import ValidationError
from pypdf import PdfReader
from sqlmodel import select

import backend.config
from backend.cli import main as warga
from backend.config import Settings
from backend.notifications.models import Notification
from backend.permits import scheduled
from backend.permits.certificates import JWS_MARKER
from backend.permits.models import PermitApplication, PermitVerification
from backend.permits.signing import city_key

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(6, 0), tzinfo=JAKARTA)


async def certificate_of(permits, application: dict) -> bytes:
    url = f"/api/v1/permits/applications/{application['id']}/certificate"
    return (await permits.call("GET", url, permits.demo.resident)).content


def qr_payload(pdf: bytes) -> str:
    """Decode the QR code drawn on the certificate's page, as a phone camera would. Only QR
    codes are looked for: a search for every format now and then finds a short 1D barcode in
    the QR code's own modules (e.g. "B04B" beside the real one)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    qr = zxingcpp.BarcodeFormat.QRCode
    decoded = [
        code.text for image in page.images for code in zxingcpp.read_barcodes(image.image, qr)
    ]
    assert len(decoded) == 1
    return decoded[0]


def set_last_valid_day(session, application: dict, day: dt.date) -> None:
    row = session.get(PermitApplication, application["id"])
    row.valid_until = day
    session.add(row)
    session.commit()


async def test_the_certificate_names_the_permit_and_its_qr_code_opens_the_verification(
    permits, settings
):
    application = await permits.issued("izin-reklame")
    pdf = await certificate_of(permits, application)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert application["permit"]["permit_number"] in text
    assert "PEMERINTAH KOTA HARAPAN BARU" in text and "IZIN PENYELENGGARAAN REKLAME" in text
    assert "Siti Rahmawati" in text and "Papan / billboard" in text and "4 Januari 2027" in text
    assert "3674015506920001" not in text  # the NIK stays off a document shown to all
    url, token = qr_payload(pdf).split(JWS_MARKER)
    assert url == application["permit"]["verification_url"]
    assert url.startswith(f"{settings.public_origin}/verify/")
    assert token.count(".") == 2


async def test_a_certificate_link_opens_the_pdf_without_the_bearer_header(
    permits, client, settings
):
    """For a phone's browser or PDF viewer, which cannot send the app's token."""
    application = await permits.issued("izin-reklame")
    base = f"/api/v1/permits/applications/{application['id']}/certificate"
    link = (await permits.call("GET", f"{base}/link", permits.demo.resident)).json()
    assert link["url"].startswith(f"{settings.public_origin}{base}/download?token=")
    opened = await client.get(link["url"])  # no Authorization header
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.content == await certificate_of(permits, application)

    token = link["url"].split("token=")[1]
    refused = [
        # the token names one certificate: another application's URL is refused
        await client.get(f"/api/v1/permits/applications/999999/certificate/download?token={token}"),
        await client.get(f"{base}/download?token={token[:-4]}AAAA"),  # tampered
        # a download token is no access token
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
    ]
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert refused[0].headers["content-type"] == "application/problem+json"
    access = (await permits.auth(permits.demo.resident))["Authorization"].split()[1]
    assert (await client.get(f"{base}/download?token={access}")).status_code == 401

    other = await permits.call("GET", f"{base}/link", permits.demo.other_resident, expect=404)
    assert other.json()["code"] == "not_found"
    await client.post("/api/v1/auth/logout", headers=await permits.auth(permits.demo.resident))
    ended = await client.get(link["url"])  # the link ends with the session that made it
    assert (ended.status_code, ended.json()["code"]) == (401, "token_revoked")


async def test_a_draft_has_no_certificate_link(permits):
    draft = await permits.submitted("izin-reklame")
    url = f"/api/v1/permits/applications/{draft['id']}/certificate/link"
    await permits.call("GET", url, permits.demo.resident, expect=404)


async def test_the_qr_jws_verifies_offline_with_the_published_key_only(permits, client):
    application = await permits.issued("sip-nakes")
    _, token = qr_payload(await certificate_of(permits, application)).split(JWS_MARKER)
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]

    # From here on, no server: python-jose and the key set alone.
    header = jws.get_unverified_header(token)
    key = next(k for k in keys if k["kid"] == header["kid"])
    assert header["alg"] == key["alg"] == "ES256" and "d" not in key  # public part only
    claims = json.loads(jws.verify(token, jwk.construct(key), algorithms=["ES256"]))
    permit = application["permit"]
    assert claims["num"] == permit["permit_number"]
    assert claims["vc"] == permit["verification_code"]
    assert permit["verification_url"].endswith("/verify/" + permit["verification_code"])
    assert claims["typ"] == "sip-nakes" and claims["hld"] == "Siti Rahmawati"
    assert claims["vu"] == permit["valid_until"] and claims["iss"] == "harapan-baru"

    head, payload, signature = token.split(".")
    forged = json.dumps({**claims, "vu": "2099-12-31"}).encode()
    forged_payload = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    with pytest.raises(JWSError):
        jws.verify(f"{head}.{forged_payload}.{signature}", jwk.construct(key), algorithms=["ES256"])
    with pytest.raises(JWSError):  # a symmetric algorithm is never accepted
        jws.verify(token, jwk.construct(key), algorithms=["HS256"])


async def test_verification_page_for_a_valid_permit(permits, client, session):
    application = await permits.issued("izin-reklame")
    url = application["permit"]["verification_url"].removeprefix("http://testserver")
    page = await client.get(url)  # no login
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Izin SAH dan berlaku" in page.text and "Valid permit" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert application["permit"]["permit_number"] in page.text
    code = url.rsplit("/", 1)[1]
    answer = (await client.get(f"/api/v1/verifications/{code}")).json()
    assert answer["result"] == "valid" and answer["valid"] is True
    assert answer["permit_number"] == application["permit"]["permit_number"]
    assert "nik" not in str(answer).lower()
    log = session.exec(select(PermitVerification.result, PermitVerification.channel)).all()
    assert sorted(log) == [("valid", "html"), ("valid", "json")]


async def test_a_permit_past_its_last_day_reads_expired_everywhere_before_the_job(
    permits, client, session
):
    application = await permits.issued("sip-nakes")
    set_last_valid_day(session, application, dt.date(2026, 1, 1))
    code = application["permit"]["verification_url"].rsplit("/", 1)[1]
    page = await client.get(f"/verify/{code}")
    assert page.status_code == 200 and "TIDAK BERLAKU" in page.text and "expired" in page.text
    assert (await client.get(f"/api/v1/verifications/{code}")).json()["result"] == "expired"
    detail = await permits.get(application)
    assert detail["status"] == "expired" and detail["blds_status"] == "Permit Cancelled"
    listed = await permits.call(
        "GET", "/api/v1/permits/applications?status=expired", permits.demo.resident
    )
    assert [item["id"] for item in listed.json()["items"]] == [application["id"]]
    issued = await permits.call(
        "GET", "/api/v1/permits/applications?status=issued", permits.demo.resident
    )
    assert issued.json()["items"] == []
    register = (await client.get("/api/v1/register/permits")).json()["items"]
    assert register[0]["StatusCurrent"] == "expired"
    # What already lapsed cannot be revoked any more.
    await permits.act(
        permits.demo.supervisor("dinkes"), application, "revoke", {"reason": "x"}, expect=409
    )


async def test_verification_of_a_revoked_and_of_an_unknown_code(permits, client, session):
    application = await permits.issued("rekomendasi-keramaian")
    await permits.act(
        permits.demo.supervisor("kesbangpol"),
        application,
        "revoke",
        {"reason": "Izin tempat dicabut pemilik."},
    )
    code = application["permit"]["verification_url"].rsplit("/", 1)[1]
    page = await client.get(f"/verify/{code}")
    assert page.status_code == 200 and "DICABUT" in page.text and "revoked" in page.text
    answer = (await client.get(f"/api/v1/verifications/{code}")).json()
    assert answer["result"] == "revoked" and answer["valid"] is False
    assert answer["revoked_on"] is not None

    unknown = await client.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert unknown.status_code == 404 and "TIDAK DITEMUKAN" in unknown.text
    assert "may be forged" in unknown.text
    problem = await client.get("/api/v1/verifications/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert problem.status_code == 404 and problem.json()["code"] == "not_found"
    results = session.exec(select(PermitVerification.result)).all()
    assert sorted(results) == ["revoked", "revoked", "unknown", "unknown"]


async def test_the_public_register_uses_blds_names_and_only_public_types(permits, client):
    billboard = await permits.issued("izin-reklame")
    await permits.issued("rekomendasi-keramaian")  # not a public-register type
    await permits.submitted("izin-reklame")  # not issued
    page = (await client.get("/api/v1/register/permits")).json()
    assert len(page["items"]) == 1
    entry = page["items"][0]
    assert entry["PermitNum"] == billboard["permit"]["permit_number"]
    assert entry["PermitType"] == "izin-reklame"
    assert entry["StatusCurrent"] == "issued"
    assert entry["StatusCurrentMapped"] == "Permit Issued"
    assert entry["AppliedDate"] and entry["IssuedDate"] and entry["ExpiresDate"]
    assert (entry["Latitude"], entry["Longitude"]) == (-6.3, 106.7)
    assert entry["OriginalCity"] == "Kota Harapan Baru"
    assert "Siti" not in str(entry)
    filtered = await client.get("/api/v1/register/permits?permit_type=pbg")
    assert filtered.json()["items"] == []


async def test_daily_job_reminds_30_and_7_days_ahead_once_and_expires(permits, session):
    renewable = await permits.issued("sip-nakes")
    one_off = await permits.issued("rekomendasi-keramaian")  # 30 days, not renewable
    last_day = dt.date.fromisoformat(renewable["permit"]["valid_until"])
    set_last_valid_day(session, one_off, last_day)

    def run(day: dt.date) -> tuple[int, int]:
        report = scheduled.run_daily(session, now=at(day))
        session.commit()
        return report.expired, report.reminded

    assert run(last_day - dt.timedelta(days=31)) == (0, 0)
    assert run(last_day - dt.timedelta(days=30)) == (0, 1)
    assert run(last_day - dt.timedelta(days=30)) == (0, 0)  # never twice
    assert run(last_day - dt.timedelta(days=20)) == (0, 0)
    assert run(last_day - dt.timedelta(days=7)) == (0, 1)
    assert run(last_day - dt.timedelta(days=3)) == (0, 0)
    assert run(last_day) == (0, 0)  # the last day is still valid
    assert run(last_day + dt.timedelta(days=1)) == (2, 0)
    assert run(last_day + dt.timedelta(days=2)) == (0, 0)

    titles = session.exec(
        select(Notification.title_id)
        .where(Notification.kind == "permit.expiry_reminder")
        .order_by(Notification.id)
    ).all()
    number = renewable["permit"]["permit_number"]
    assert titles == [
        f"Izin {number} berakhir dalam 30 hari",
        f"Izin {number} berakhir dalam 7 hari",
    ]
    expired = session.exec(select(Notification).where(Notification.kind == "permit.expire"))
    assert len(expired.all()) == 2
    assert (await permits.get(renewable))["status"] == "expired"


async def test_a_late_daily_run_sends_only_the_nearer_reminder(permits, session):
    application = await permits.issued("izin-reklame")
    last_day = dt.date.fromisoformat(application["permit"]["valid_until"])
    assert scheduled.run_daily(session, now=at(last_day - dt.timedelta(days=5))).reminded == 1
    assert scheduled.run_daily(session, now=at(last_day - dt.timedelta(days=4))).reminded == 0


def test_the_cli_runs_the_daily_job(monkeypatch, settings, demo, capsys):
    monkeypatch.setenv("WARGA_DATABASE_URL", settings.database_url)
    backend.config.get_settings.cache_clear()
    try:
        assert warga(["permits", "daily"]) == 0
    finally:
        backend.config.get_settings.cache_clear()
    assert capsys.readouterr().out == "expired 0 permits, sent 0 expiry reminders\n"


def test_the_signing_key_is_made_in_development_but_never_in_production(tmp_path):
    key_file = tmp_path / "city-key.pem"
    secret = "a-long-random-production-secret-0123456789"
    # Production refuses to start without the city's key rather than making one up.
    with pytest.raises(ValidationError, match="WARGA_SIGNING_KEY_FILE"):
        Settings(environment="production", secret_key=secret, signing_key_file=key_file)
    assert not key_file.exists()
    made = city_key(Settings(environment="development", signing_key_file=key_file))
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by the service only
    # Production uses the key it is given.
    production = Settings(
        environment="production",
        secret_key=secret,
        signing_key_file=key_file,
        public_url="https://warga.example.go.id",
    )
    assert city_key(production).kid == made.kid

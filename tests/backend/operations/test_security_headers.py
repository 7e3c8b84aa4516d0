"""Security headers on every response and page, and absolute links from WARGA_PUBLIC_URL only."""

import io
import re

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from backend.config import Settings
from backend.security_headers import source_hash
from tests.backend.permits.conftest import PermitsDriver
from tests.backend.permits.test_permits_certificates import JWS_MARKER, qr_payload

PUBLIC_URL = "https://warga.harapanbaru.example"


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(
        update={
            "media_dir": tmp_path / "media",
            "signing_key_file": tmp_path / "city-key.pem",
            "public_url": PUBLIC_URL,
        }
    )


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


async def test_every_api_response_says_nosniff_and_may_not_be_framed(client, demo):
    for response in [
        await client.get("/healthz"),
        await client.get("/api/v1/region"),
        await client.get("/api/v1/no-such-thing"),  # errors too
        await client.post("/api/v1/auth/token", data={"username": "x", "password": "y"}),
    ]:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "no-referrer"
        policy = policy_of(response)
        assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


async def test_the_verification_page_runs_no_script_and_allows_only_its_own_style(
    client, permits_driver
):
    application = await permits_driver.issued("izin-reklame")
    page = await client.get(f"/verify/{application['permit']['verification_code']}")
    assert page.status_code == 200 and "Izin SAH" in page.text
    policy = policy_of(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "script-src" not in policy  # so default-src 'none' forbids every script
    styles = re.findall(r"<style>(.*?)</style>", page.text, flags=re.DOTALL)
    assert policy["style-src"] == [source_hash(style) for style in styles]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    unknown = await client.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert unknown.status_code == 404 and policy_of(unknown) == policy


async def test_the_docs_page_may_load_its_bundled_assets_and_its_start_script_only(client):
    page = await client.get("/docs")
    policy = policy_of(page)
    assert policy["frame-ancestors"] == ["'none'"]
    inline = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    assert policy["script-src"] == ["'self'", source_hash(inline[0])]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["connect-src"] == ["'self'"]  # it fetches /openapi.json and calls the API
    # Every asset it names is served by this server, under a directive that allows 'self'.
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(asset.startswith("/static/swagger-ui/") for asset in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200 and response.headers["x-content-type-options"]
    for directive in ("script-src", "style-src", "img-src"):
        assert "'self'" in policy[directive]
    schema = await client.get("/openapi.json")
    assert schema.status_code == 200


@pytest.fixture
def permits_driver(client, demo) -> PermitsDriver:
    return PermitsDriver(client=client, demo=demo)


async def test_an_uploaded_document_is_downloaded_as_an_attachment_of_its_checked_type(
    client, permits_driver
):
    driver = permits_driver
    draft = await driver.draft("pbg")
    kind = next(
        k["code"]
        for k in (await driver.permit_type("pbg"))["documents"]
        if "application/pdf" in k["media_types"]
    )
    uploaded = await driver.upload(draft, kind)
    url = f"/api/v1/permits/applications/{draft['id']}/documents/{uploaded['id']}"
    response = await driver.call("GET", url, driver.demo.resident)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{kind}.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_links_point_at_the_public_url_whatever_host_the_request_names(
    client, permits_driver
):
    """A forged Host header must not make the city issue a certificate pointing elsewhere."""
    forged = {"Host": "evil.example"}
    driver = permits_driver
    issued = await driver.issued("izin-reklame")
    resident = await driver.auth(driver.demo.resident)
    base = f"/api/v1/permits/applications/{issued['id']}"
    detail = (await client.get(base, headers={**resident, **forged})).json()
    assert detail["permit"]["verification_url"].startswith(f"{PUBLIC_URL}/verify/")
    link = (await client.get(f"{base}/certificate/link", headers={**resident, **forged})).json()
    assert link["url"].startswith(f"{PUBLIC_URL}{base}/certificate/download?token=")
    register = (await client.get("/api/v1/register/permits", headers=forged)).json()
    assert register["items"] and all(
        entry["Link"].startswith(f"{PUBLIC_URL}/verify/") for entry in register["items"]
    )


async def test_a_certificate_issued_on_a_forged_host_still_points_at_the_public_url(
    client, permits_driver
):
    driver = permits_driver
    application = await driver.submitted("rekomendasi-keramaian")  # no fee: the last
    steps = (await driver.permit_type("rekomendasi-keramaian"))["steps"]
    forged = {"Host": "evil.example"}
    for position, step in enumerate(steps):
        staff = driver.staff_for("rekomendasi-keramaian", step["role"])
        await driver.act(staff, application, "claim")
        headers = {**(await driver.auth(staff)), **(forged if position == len(steps) - 1 else {})}
        response = await client.post(
            f"/api/v1/permits/applications/{application['id']}/actions/approve",
            json={"note": "Sesuai."},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "issued"
    resident = await driver.auth(driver.demo.resident)
    pdf = await client.get(
        f"/api/v1/permits/applications/{application['id']}/certificate", headers=resident
    )
    url, _ = qr_payload(pdf.content).split(JWS_MARKER)
    assert url.startswith(f"{PUBLIC_URL}/verify/"), url
    assert "evil.example" not in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_production_refuses_to_start_without_a_public_url(tmp_path):
    key = tmp_path / "city-key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    production = {"environment": "production", "secret_key": "s" * 48, "signing_key_file": key}
    with pytest.raises(ValidationError, match="WARGA_PUBLIC_URL"):
        Settings(**production)
    assert Settings(**production, public_url=PUBLIC_URL).public_origin == PUBLIC_URL
    # Elsewhere it defaults to this machine on the port `make run` serves.
    assert Settings(port=8123).public_origin == "http://127.0.0.1:8123"

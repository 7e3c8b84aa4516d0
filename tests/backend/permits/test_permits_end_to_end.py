"""End to end: the real server (uvicorn) on a loopback port, driven over the network the way the
app and a citizen's phone drive it. A billboard permit goes from draft through an information
request, every review step, payment and issuing to a public verification of its certificate."""

import io
import json
from collections.abc import Iterator

import httpx
import pytest
from jose import jwk, jws
from pypdf import PdfReader

from backend.demo_accounts import (
    OFFICER_PASSWORD,
    RESIDENT_PASSWORD,
    STAFF_DOMAIN,
    SUPERVISOR_PASSWORD,
)
from backend.permits.certificates import JWS_MARKER
from tests.backend.permits.conftest import ANSWERS, pdf_file, png_file
from tests.backend.permits.test_permits_certificates import qr_payload
from tests.live_server import live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("permits-e2e")) as running:
        yield running.base_url


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_a_billboard_permit_from_draft_to_public_verification(server):
    with httpx.Client(base_url=server, timeout=20) as http:
        siti = login(http, "siti@example.com", RESIDENT_PASSWORD)
        officer = login(http, f"petugas.dpmptsp@{STAFF_DOMAIN}", OFFICER_PASSWORD)
        head = login(http, f"kepala.dpmptsp@{STAFF_DOMAIN}", SUPERVISOR_PASSWORD)

        # The resident reads the service standard, drafts (a retry creates nothing new) ...
        permit_type = ok(http.get("/api/v1/permit-types/izin-reklame"))
        body = {"permit_type": "izin-reklame", "answers": ANSWERS["izin-reklame"]}
        creating = {**siti, "Idempotency-Key": "e2e-permit-draft-1"}
        draft = ok(http.post("/api/v1/permits/applications", json=body, headers=creating), 201)
        retried = http.post("/api/v1/permits/applications", json=body, headers=creating)
        assert retried.json()["id"] == draft["id"]
        url = f"/api/v1/permits/applications/{draft['id']}"

        # ... uploads every required document and submits.
        for kind in permit_type["documents"]:
            if kind["required"]:
                photo = kind["media_types"] == ["image/jpeg", "image/png"]
                file = (
                    ("foto.png", png_file(), "image/png")
                    if photo
                    else ("berkas.pdf", pdf_file(), "application/pdf")
                )
                ok(
                    http.post(
                        f"{url}/documents/{kind['code']}", files={"file": file}, headers=siti
                    ),
                    201,
                )
        submitted = ok(http.post(f"{url}/actions/submit", headers=siti))
        assert submitted["status"] == "submitted" and submitted["due_on"]

        # The officer finds it in the queue, claims it and asks for a corrected design.
        queue = ok(http.get("/api/v1/permits/queue", headers=officer))
        assert [item["id"] for item in queue["items"]] == [draft["id"]]
        ok(http.post(f"{url}/actions/claim", headers=officer))
        asked = ok(
            http.post(
                f"{url}/actions/request-info",
                headers=officer,
                json={
                    "note": "Lebar pada formulir tidak sama dengan desain.",
                    "fields": ["lebar_m"],
                    "documents": ["desain-reklame"],
                },
            )
        )
        assert asked["status"] == "needs_info"

        # The resident sees the request, corrects only that, and resubmits.
        mine = ok(http.get(url, headers=siti))
        assert mine["information_request"]["fields"] == ["lebar_m"]
        assert mine["timeline"][-1]["note"] == "Lebar pada formulir tidak sama dengan desain."
        ok(http.patch(url, json={"answers": {"lebar_m": 4}}, headers=siti))
        ok(
            http.post(
                f"{url}/documents/desain-reklame",
                headers=siti,
                files={"file": ("desain-2.pdf", pdf_file(), "application/pdf")},
            ),
            201,
        )
        resumed = ok(http.post(f"{url}/actions/resubmit", headers=siti))
        assert resumed["status"] == "in_review"
        assert len(resumed["deadline"]["pauses"]) == 1

        # Every review step, each by the role the pack names; then the fee.
        for step in permit_type["steps"]:
            staff = officer if step["role"] == "officer" else head
            ok(http.post(f"{url}/actions/claim", headers=staff))
            decided = ok(
                http.post(f"{url}/actions/approve", json={"note": "Sesuai."}, headers=staff)
            )
        assert decided["status"] == "awaiting_payment"
        payment = {
            "receipt_number": "KW-E2E-1",
            "amount": decided["payment"]["amount"],
            "paid_on": decided["created_at"][:10],
        }
        issued = ok(http.post(f"{url}/actions/record-payment", json=payment, headers=officer))
        assert issued["status"] == "issued"
        permit = issued["permit"]

        # The certificate's QR code points at this very server.
        pdf = http.get(f"{url}/certificate", headers=siti)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        page = PdfReader(io.BytesIO(pdf.content)).pages[0]
        assert permit["permit_number"] in page.extract_text()
        verification_url, token = qr_payload(pdf.content).split(JWS_MARKER)
        assert verification_url == permit["verification_url"]
        assert verification_url.startswith(f"{server}/verify/")

        # Anyone can verify it: no login, the page in Bahasa Indonesia and English.
        public = httpx.get(verification_url, timeout=10)
        assert public.status_code == 200
        assert "Izin SAH dan berlaku" in public.text and "Valid permit" in public.text
        assert permit["permit_number"] in public.text
        # And offline, with the city's published key.
        keys = ok(httpx.get(f"{server}/.well-known/jwks.json", timeout=10))["keys"]
        claims = json.loads(jws.verify(token, jwk.construct(keys[0]), algorithms=["ES256"]))
        assert claims["num"] == permit["permit_number"]

        # The applicant's timeline shows every public step, the internal claims left out.
        timeline = [event["action"] for event in ok(http.get(url, headers=siti))["timeline"]]
        assert timeline == [
            "submit",
            "start_review",
            "request_info",
            "resubmit",
            "approve_step",
            "approve_step",
            "decide_approve",
            "require_payment",
            "record_payment",
        ]

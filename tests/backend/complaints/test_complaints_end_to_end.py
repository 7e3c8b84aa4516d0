"""End to end: a real server on a loopback port, driven over the network like the app drives it.

A complaint goes from filing through forwarding, an information request and its answer,
resolution and rating to reopening.
"""

from collections.abc import Iterator

import httpx
import pytest

from backend.demo_accounts import OFFICER_PASSWORD, RESIDENT_PASSWORD, STAFF_DOMAIN
from tests.backend.complaints.complaint_helpers import complaint_body, jpeg_bytes
from tests.live_server import live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("complaints-e2e")) as running:
        yield running.base_url


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_a_complaint_from_filing_to_reopening_over_the_network(server):
    with httpx.Client(base_url=server, timeout=10) as http:
        siti = _login(http, "siti@example.com", RESIDENT_PASSWORD)
        roads = _login(http, f"petugas.dbmsda@{STAFF_DOMAIN}", OFFICER_PASSWORD)
        environment = _login(http, f"petugas.dlh@{STAFF_DOMAIN}", OFFICER_PASSWORD)

        # Filing, retried by a phone on a bad network: still one complaint.
        filing = {**siti, "Idempotency-Key": "e2e-filing-0001"}
        body = complaint_body(title="Sampah menutup saluran di Jl. Pahlawan")
        filed = http.post("/api/v1/complaints", json=body, headers=filing)
        assert filed.status_code == 201, filed.text
        retried = http.post("/api/v1/complaints", json=body, headers=filing)
        assert retried.json()["id"] == filed.json()["id"]
        complaint = filed.json()
        actions = f"/api/v1/complaints/{complaint['id']}/actions"
        photo = http.post(
            f"/api/v1/complaints/{complaint['id']}/photos",
            files={"files": ("saluran.jpg", jpeg_bytes(), "image/jpeg")},
            headers=siti,
        )
        assert photo.status_code == 201

        # The road agency sees it is about waste and forwards it.
        queue = http.get("/api/v1/complaints/queue", headers=roads).json()["items"]
        assert [item["id"] for item in queue] == [complaint["id"]]
        forwarded = http.post(
            f"{actions}/forward", json={"agency": "dlh", "reason": "Urusan sampah"}, headers=roads
        )
        assert forwarded.status_code == 200, forwarded.text
        assert http.get("/api/v1/complaints/queue", headers=roads).json()["items"] == []

        # The environment agency verifies it and asks Siti a question: the clock pauses.
        queue = http.get("/api/v1/complaints/queue", headers=environment).json()["items"]
        assert [item["id"] for item in queue] == [complaint["id"]]
        assert http.post(f"{actions}/verify", json={}, headers=environment).status_code == 200
        asked = http.post(
            f"{actions}/request-info", json={"note": "Sejak kapan menumpuk?"}, headers=environment
        )
        assert asked.json()["status"] == "waiting_reporter"
        assert asked.json()["deadline"]["clock_paused"] is True

        answered = http.post(f"{actions}/provide-info", json={"note": "Sejak Senin."}, headers=siti)
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "verified"
        assert answered.json()["deadline"]["clock_paused"] is False

        resolved = http.post(
            f"{actions}/resolve", json={"note": "Sudah diangkut pagi ini."}, headers=environment
        )
        assert resolved.json()["status"] == "resolved"

        rated = http.post(f"{actions}/rate", json={"rating": 2, "comment": "Lama"}, headers=siti)
        assert rated.json()["rating"] == 2
        reopened = http.post(f"{actions}/reopen", json={"note": "Menumpuk lagi."}, headers=siti)
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "verified"

        queue = http.get("/api/v1/complaints/queue", headers=environment).json()["items"]
        assert [item["id"] for item in queue] == [complaint["id"]]
        mine = http.get(f"/api/v1/complaints/{complaint['id']}", headers=siti).json()
        assert [entry["action"] for entry in mine["timeline"]] == [
            "file",
            "add_photos",
            "forward",
            "verify",
            "request_info",
            "provide_info",
            "resolve",
            "rate",
            "reopen",
        ]
        public = http.get(f"/api/v1/public/complaints/{complaint['id']}").json()
        assert public["status"] == "verified"
        assert public["agency"]["code"] == "dlh"
        assert http.get(public["photos"][0]["thumbnail_url"]).status_code == 200

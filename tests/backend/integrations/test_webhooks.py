"""Webhooks over a real server: Standard Webhooks signatures (checked with the
`standardwebhooks` library), retries with the same id, ordering, no personal data, agency
binding, pause/rotate/resend, disabling a failing endpoint, SSRF refusals, and exactly one
attempt per delivery with two server processes on one database."""

import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from standardwebhooks.webhooks import Webhook

from backend.demo_accounts import RESIDENT_PASSWORD
from tests.backend.complaints.complaint_helpers import complaint_body
from tests.backend.integrations.integration_helpers import (
    admin,
    client_token,
    create_client,
    login,
    officer,
)
from tests.backend.integrations.webhook_receiver import Receiver, webhook_receiver
from tests.live_server import LiveServer, live_server, serve_process

FAST_DELIVERY = {
    "WARGA_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
    "WARGA_WEBHOOK_POLL_SECONDS": "0.2",
    "WARGA_WEBHOOK_RETRY_DELAYS_SECONDS": "[1, 1, 1]",
    "WARGA_WEBHOOK_DISABLE_AFTER_HOURS": "0.0005",  # 1.8 s of nothing but failures
}
COMPLAINT_EVENTS = ["complaint.filed", "complaint.status_changed", "complaint.commented"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("webhooks")
    with live_server(directory, demo_content=False, environment=FAST_DELIVERY) as running:
        yield running


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


def wait_for(condition: Callable[[], object], seconds: float = 15) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def subscribe(http, receiver: Receiver, path: str, events: list[str], token=None) -> dict:
    token = token or client_token(http, create_client(http, "webhooks"))
    created = http.post(
        "/api/v1/webhooks", json={"url": receiver.url + path, "events": events}, headers=token
    )
    assert created.status_code == 201, created.text
    return {**created.json(), "token": token}


def test_deliveries_are_signed_ordered_and_free_of_personal_data(http, receiver):
    hook = subscribe(http, receiver, "/signed", COMPLAINT_EVENTS)
    assert hook["secret"].startswith("whsec_") and hook["status"] == "active"
    siti = login(http, "siti@example.com", RESIDENT_PASSWORD)
    me = http.get("/api/v1/me", headers=siti).json()
    filed = http.post("/api/v1/complaints", json=complaint_body(), headers=siti).json()
    roads = officer(http, "dbmsda")
    actions = f"/api/v1/complaints/{filed['id']}"
    assert http.post(f"{actions}/actions/verify", json={}, headers=roads).status_code == 200
    for public in (False, True):  # an internal note is never sent; a public reply is
        comment = {"text": f"Catatan {public}", "public": public}
        assert http.post(f"{actions}/comments", json=comment, headers=roads).status_code == 201

    received = wait_for(lambda: len(receiver.at("/signed")) >= 3 and receiver.at("/signed"))
    time.sleep(0.5)  # nothing more is coming (the internal note)
    received = receiver.at("/signed")
    verifier = Webhook(hook["secret"])
    payloads = [verifier.verify(r.body, r.headers) for r in received]
    assert [p["type"] for p in payloads] == COMPLAINT_EVENTS
    assert all(r.headers["webhook-id"].startswith("msg_") for r in received)
    assert "." not in "".join(r.headers["webhook-id"] for r in received)
    data = [p["data"] for p in payloads]
    assert {d["number"] for d in data} == {filed["tracking_number"]}
    assert [d["status"] for d in data] == ["submitted", "verified", "verified"]
    assert data[0]["version"] < data[1]["version"] < data[2]["version"]
    assert data[2]["reply"]["text"] == "Catatan True"
    assert data[0]["links"]["public"].endswith(f"/api/v1/public/complaints/{filed['id']}")
    assert payloads[0]["timestamp"].endswith("+00:00")
    everything = b"".join(r.body for r in received).decode()
    for personal in (me["email"], me["phone"], me["full_name"], me.get("nik") or "@@"):
        assert personal not in everything

    # Tampering is caught by the library: the signature is real.
    forged = received[0].body.replace(b"submitted", b"resolved")
    with pytest.raises(Exception, match="signature"):
        verifier.verify(forged, received[0].headers)


def test_a_failed_delivery_is_retried_with_the_same_id_and_listed(http, receiver):
    receiver.scripted["/flaky"] = [500]
    hook = subscribe(http, receiver, "/flaky", ["complaint.filed"])
    writer = client_token(http, create_client(http, "complaints:write"))
    assert http.post("/api/v1/complaints", json=complaint_body(), headers=writer).status_code == 201

    attempts = wait_for(lambda: len(receiver.at("/flaky")) >= 2 and receiver.at("/flaky"))
    assert attempts[0].headers["webhook-id"] == attempts[1].headers["webhook-id"]
    Webhook(hook["secret"]).verify(attempts[1].body, attempts[1].headers)

    listed = wait_for(
        lambda: (
            (
                rows := http.get(
                    f"/api/v1/webhooks/{hook['id']}/deliveries", headers=hook["token"]
                ).json()
            )
            and len(rows) == 2
            and rows
        )
    )
    newest, first = listed
    assert (first["attempt"], first["response_status"], first["state"]) == (1, 500, "succeeded")
    assert first["next_attempt_at"] is not None
    assert (newest["attempt"], newest["response_status"]) == (2, 200)
    assert newest["next_attempt_at"] is None
    assert first["message_id"] == newest["message_id"] == attempts[0].headers["webhook-id"]

    resent = http.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{first['delivery_id']}/resend",
        headers=hook["token"],
    )
    assert resent.status_code == 202
    again = wait_for(lambda: len(receiver.at("/flaky")) >= 3 and receiver.at("/flaky"))
    assert again[2].headers["webhook-id"] == attempts[0].headers["webhook-id"]


def test_confidential_complaints_reach_only_their_agencys_bound_endpoints(http, receiver):
    anyone = subscribe(http, receiver, "/anyone", ["complaint.filed"])
    roads_token = client_token(http, create_client(http, "webhooks", agency="dbmsda"))
    roads = subscribe(http, receiver, "/roads", ["complaint.filed"], token=roads_token)
    waste_token = client_token(http, create_client(http, "webhooks", agency="dlh"))
    subscribe(http, receiver, "/waste", ["complaint.filed"], token=waste_token)
    assert roads["agency"] == "dbmsda"
    siti = login(http, "siti@example.com", RESIDENT_PASSWORD)
    secret_text = "Rahasia: pejabat menerima suap"
    body = complaint_body(confidential=True, description=secret_text)
    filed = http.post("/api/v1/complaints", json=body, headers=siti).json()

    got = wait_for(lambda: receiver.at("/roads"))
    assert got[0].payload["data"]["id"] == filed["id"]
    assert got[0].payload["data"]["confidential"] is True
    assert "public" not in got[0].payload["data"]["links"]
    assert secret_text.encode() not in got[0].body and b"suap" not in got[0].body
    time.sleep(1)
    assert receiver.at("/anyone") == [] and receiver.at("/waste") == []
    assert anyone["status"] == "active"


def test_pause_rotate_update_and_delete(http, receiver):
    hook = subscribe(http, receiver, "/paused", ["complaint.filed"])
    token, path = hook["token"], f"/api/v1/webhooks/{hook['id']}"
    paused = http.patch(path, json={"paused": True}, headers=token)
    assert paused.json()["status"] == "paused"
    writer = client_token(http, create_client(http, "complaints:write"))
    http.post("/api/v1/complaints", json=complaint_body(), headers=writer)
    time.sleep(1)
    assert receiver.at("/paused") == []

    rotated = http.post(f"{path}/rotate-secret", headers=token).json()
    assert rotated["secret"] != hook["secret"]
    assert http.patch(path, json={"paused": False}, headers=token).json()["status"] == "active"
    delivered = wait_for(lambda: receiver.at("/paused"))[0]
    # During the rotation's grace period both secrets verify the same message.
    for secret in (hook["secret"], rotated["secret"]):
        Webhook(secret).verify(delivered.body, delivered.headers)

    # Another client cannot see it; an admin can.
    stranger = client_token(http, create_client(http, "webhooks"))
    assert http.get(path, headers=stranger).status_code == 404
    assert http.get(path, headers=admin(http)).status_code == 200
    officer_answer = http.get("/api/v1/webhooks", headers=officer(http, "dbmsda"))
    assert officer_answer.status_code == 403
    assert http.delete(path, headers=token).status_code == 204
    assert http.get(path, headers=token).status_code == 404


def test_an_endpoint_failing_for_long_is_disabled_and_its_owner_told(http, receiver):
    receiver.scripted["/broken"] = [503] * 50
    owner = admin(http)
    hook = subscribe(http, receiver, "/broken", ["complaint.filed"], token=owner)
    writer = client_token(http, create_client(http, "complaints:write"))
    http.post("/api/v1/complaints", json=complaint_body(), headers=writer)

    def disabled():
        shown = http.get(f"/api/v1/webhooks/{hook['id']}", headers=owner).json()
        return shown["status"] == "disabled" and shown

    assert wait_for(disabled)["disabled_at"] is not None
    inbox = http.get("/api/v1/notifications", headers=owner).json()["items"]
    assert any(entry["kind"] == "webhook.disabled" for entry in inbox)


UNSAFE_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://api.localhost/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/hook",  # … in hex
    "http://0177.0.0.1/hook",  # … in octal
    "http://127.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/hook",
    "http://0.0.0.0/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.9/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "ftp://example.com/hook",
    "http://user:pass@example.com/hook",
]


def test_ssrf_destinations_are_refused_at_registration_and_at_send(tmp_path, receiver):
    with (
        live_server(
            tmp_path, demo_content=False, environment={"WARGA_WEBHOOK_POLL_SECONDS": "0.2"}
        ) as strict,
        httpx.Client(base_url=strict.base_url, timeout=10) as http,
    ):
        token = client_token(http, create_client(http, "webhooks"))
        for url in UNSAFE_URLS:
            answer = http.post(
                "/api/v1/webhooks",
                json={"url": url, "events": ["complaint.filed"]},
                headers=token,
            )
            assert answer.status_code == 422, url
            assert answer.json()["errors"][0]["field"] == "url"
            assert answer.json()["errors"][0]["code"] == "unsafe_url"
        # A public address is fine, and registration does not contact it.
        fine = http.post(
            "/api/v1/webhooks",
            json={"url": "https://93.184.215.14/hook", "events": ["complaint.filed"]},
            headers=token,
        )
        assert fine.status_code == 201

        # A name that resolves to loopback is caught when sending (DNS rebinding and the like).
        engine = create_engine(strict.database_url)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE webhook_endpoint SET url = :url WHERE public_id = :id"),
                {
                    "url": receiver.url.replace("127.0.0.1", "localhost") + "/rebound",
                    "id": fine.json()["id"],
                },
            )
        engine.dispose()
        writer = client_token(http, create_client(http, "complaints:write"))
        http.post("/api/v1/complaints", json=complaint_body(), headers=writer)
        rows = wait_for(
            lambda: http.get(
                f"/api/v1/webhooks/{fine.json()['id']}/deliveries", headers=token
            ).json()
        )
        assert rows[0]["response_status"] is None
        assert rows[0]["error"].startswith("refused")
        assert receiver.at("/rebound") == []


def test_two_server_processes_make_each_attempt_exactly_once(
    engine, database_url, tmp_path, receiver
):
    environment = {**FAST_DELIVERY, "WARGA_WEBHOOK_POLL_SECONDS": "0.05"}
    with (
        live_server(
            tmp_path, demo_content=False, database_url=database_url, environment=environment
        ) as first,
        serve_process(first.environment),
        httpx.Client(base_url=first.base_url, timeout=10) as http,
    ):
        path = f"/twice-{engine.dialect.name}"
        subscribe(http, receiver, path, ["complaint.filed"])
        writer = client_token(
            http, create_client(http, "complaints:write", rate_limit_per_minute=1000)
        )
        filed = [
            http.post("/api/v1/complaints", json=complaint_body(), headers=writer).status_code
            for _ in range(30)
        ]
        assert filed == [201] * 30
        wait_for(lambda: len(receiver.at(path)) >= 30)
        time.sleep(1)
        ids = Counter(r.headers["webhook-id"] for r in receiver.at(path))
        assert len(ids) == 30 and set(ids.values()) == {1}


def test_the_change_channel_wakes_delivery_long_before_the_poll(
    engine, database_url, tmp_path, receiver
):
    # With a 60-second poll, only the commit's announcement can make it this quick.
    slow_poll = {**FAST_DELIVERY, "WARGA_WEBHOOK_POLL_SECONDS": "60"}
    with (
        live_server(
            tmp_path, demo_content=False, database_url=database_url, environment=slow_poll
        ) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as http,
    ):
        path = f"/awake-{engine.dialect.name}"
        subscribe(http, receiver, path, ["complaint.filed"])
        writer = client_token(http, create_client(http, "complaints:write"))
        time.sleep(1)  # the worker has made its first round and waits on the channel
        http.post("/api/v1/complaints", json=complaint_body(), headers=writer)
        filed_at = time.monotonic()
        wait_for(lambda: receiver.at(path), seconds=10)
        assert time.monotonic() - filed_at < 5

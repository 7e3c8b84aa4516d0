"""The outbox: permit and announcement changes write their webhook messages in the change's own
transaction (delivery itself is tested over a real server in test_webhooks.py)."""

import json

import pytest
from sqlmodel import select

from backend.webhooks.models import WebhookDelivery, WebhookMessage
from tests.backend.complaints.complaint_helpers import complaint_body
from tests.backend.helpers import client_credentials, login
from tests.backend.permits.conftest import PermitsDriver

PERMIT_EVENTS = ["permit.submitted", "permit.status_changed", "permit.issued", "permit.revoked"]


@pytest.fixture
def settings(settings, tmp_path):
    """Certificates and the city's signing key stay in the test's own directory."""
    return settings.model_copy(
        update={"media_dir": tmp_path / "media", "signing_key_file": tmp_path / "city-key.pem"}
    )


async def _subscribe(client, headers, events: list[str]) -> dict:
    body = {"url": "https://93.184.215.14/warga", "events": events}
    response = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _messages(session) -> list[WebhookMessage]:
    session.expire_all()
    return list(session.exec(select(WebhookMessage).order_by(WebhookMessage.created_at)))


async def test_permit_events_from_submission_to_revocation(client, demo, session):
    admin = await login(client, demo.admin.username, demo.admin.password)
    await _subscribe(client, admin, PERMIT_EVENTS)
    permits = PermitsDriver(client=client, demo=demo)
    issued = await permits.issued("izin-reklame")
    supervisor = permits.staff_for("izin-reklame", "supervisor")
    await permits.act(supervisor, issued, "revoke", {"reason": "Papan reklame dibongkar."})

    messages = _messages(session)
    types = [m.event_type for m in messages]
    assert types.count("permit.submitted") == types.count("permit.issued") == 1
    assert types.count("permit.revoked") == 1
    changes = [m.payload["data"] for m in messages if m.event_type == "permit.status_changed"]
    assert [c["status"] for c in changes][0] == "submitted" and changes[-1]["status"] == "revoked"
    versions = [c["version"] for c in changes]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    issued_data = next(m.payload["data"] for m in messages if m.event_type == "permit.issued")
    assert issued_data["permit_number"] == issued["permit"]["permit_number"]
    assert issued_data["links"]["verification"].startswith("http://127.0.0.1:8000/verify/")
    # Nothing about the applicant: not a name, NIK, phone or e-mail.
    resident = await permits.auth(demo.resident)
    me = (await client.get("/api/v1/me", headers=resident)).json()
    everything = json.dumps([m.payload for m in messages])
    for personal in (me["full_name"], me["email"], me["phone"], me.get("nik")):
        assert not personal or personal not in everything
    deliveries = session.exec(select(WebhookDelivery)).all()
    assert len(deliveries) == len(messages)  # one subscriber, one delivery each


async def test_announcements_and_rolled_back_changes(client, demo, session):
    admin = await login(client, demo.admin.username, demo.admin.password)
    await _subscribe(client, admin, ["announcement.published", "complaint.filed"])
    text = {"id": "Jalan ditutup sementara", "en": "Road closed for a while"}
    body = {"agency_code": "dbmsda", "title": text, "body": text}
    created = await client.post("/api/v1/announcements", json=body, headers=admin)
    assert created.status_code == 201, created.text
    (message,) = _messages(session)
    assert message.event_type == "announcement.published"
    assert message.payload["data"]["title"] == text
    assert message.payload["data"]["agency"] == "dbmsda"

    # A filing that fails (outside the city) leaves no message behind.
    resident = await login(client, demo.resident.username, demo.resident.password)
    refused = await client.post(
        "/api/v1/complaints", json=complaint_body(latitude=1.0, longitude=1.0), headers=resident
    )
    assert refused.status_code == 422
    assert [m.event_type for m in _messages(session)] == ["announcement.published"]


async def test_a_forward_tells_the_receiving_agencys_endpoints(client, demo, session):
    admin = await login(client, demo.admin.username, demo.admin.password)
    environment = await client_credentials(client, admin, scopes="webhooks", agency="dlh")
    endpoint = await _subscribe(client, environment, ["complaint.status_changed"])
    resident = await login(client, demo.resident.username, demo.resident.password)
    filed = await client.post("/api/v1/complaints", json=complaint_body(), headers=resident)
    roads = await login(client, demo.officer("dbmsda").username, demo.officer("dbmsda").password)
    forwarded = await client.post(
        f"/api/v1/complaints/{filed.json()['id']}/actions/forward",
        json={"agency": "dlh", "reason": "Urusan sampah"},
        headers=roads,
    )
    assert forwarded.status_code == 200, forwarded.text

    (message,) = _messages(session)
    assert message.event_type == "complaint.status_changed"
    data = message.payload["data"]
    assert (data["status"], data["previous_status"], data["agency"]) == (
        "submitted",
        "submitted",
        "dlh",
    )
    (delivery,) = session.exec(select(WebhookDelivery)).all()
    assert delivery.message_id == message.id and endpoint["agency"] == "dlh"

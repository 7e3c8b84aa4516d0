"""The filing floor of `bench.complaints` (`bench.ceiling`'s `POST /floor/filing`) writes what a
real filing writes: Warga reads its complaint back whole. Without this test a schema change
would leave the benchmark failing, or measuring writes that no longer match, unnoticed."""

import httpx
import pytest

from bench import ceiling
from tests.backend.complaints.complaint_helpers import complaint_body


@pytest.fixture
async def floor(database_url, demo, monkeypatch):
    monkeypatch.setenv("WARGA_DATABASE_URL", database_url)
    monkeypatch.setattr(ceiling, "_floor", ceiling._Floor())
    transport = httpx.ASGITransport(app=ceiling.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        yield client
    await ceiling._floor.close()


async def test_a_floor_filing_is_a_complaint_warga_reads_whole(floor, client, callers):
    filed = await floor.post(
        "/floor/filing", json=complaint_body(), headers={"Idempotency-Key": "floor-1"}
    )
    assert filed.status_code == 201, filed.text

    shown = await client.get(f"/api/v1/complaints/{filed.json()['id']}", headers=callers.resident)
    assert shown.status_code == 200, shown.text
    complaint = shown.json()
    assert complaint["tracking_number"] == filed.json()["tracking_number"]
    assert complaint["status"] == "submitted"
    assert [entry["action"] for entry in complaint["timeline"]] == ["file"]
    inbox = await client.get("/api/v1/notifications", headers=callers.resident)
    assert [entry["subject_id"] for entry in inbox.json()["items"]] == [complaint["id"]]


async def test_the_floor_validates_its_body_as_any_endpoint_does(floor):
    refused = await floor.post(
        "/floor/filing", json={"title": "x"}, headers={"Idempotency-Key": "floor-2"}
    )
    assert refused.status_code == 422

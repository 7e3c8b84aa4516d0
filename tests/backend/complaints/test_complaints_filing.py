"""Filing a complaint: validation, routing, tracking number, idempotency, "my complaints"."""

import re

from sqlmodel import select

from backend.notifications.models import Notification
from tests.backend.complaints.complaint_helpers import WASTE, complaint_body, file_complaint


async def test_a_resident_files_a_complaint_routed_to_the_categorys_agency(
    client, callers, session
):
    complaint = await file_complaint(client, callers.resident, anonymous=True)

    assert re.fullmatch(r"ADU-20\d\d-\d{6}", complaint["tracking_number"])
    assert complaint["status"] == "submitted"
    assert complaint["open311_status"] == "open"
    assert complaint["agency"]["code"] == "dbmsda"
    assert complaint["category"]["code"] == "jalan-rusak"
    assert complaint["answers"] == {"ukuran_lubang": "besar", "membahayakan": True}
    assert complaint["anonymous"] is True and complaint["confidential"] is False
    assert complaint["reporter"]["full_name"] == "Siti Rahmawati"
    assert complaint["deadline"]["overdue"] is False
    assert complaint["deadline"]["clock_paused"] is False
    assert [entry["action"] for entry in complaint["timeline"]] == ["file"]
    assert complaint["allowed_actions"] == ["comment"]

    inbox = session.exec(
        select(Notification)
        .where(Notification.subject_id == complaint["id"])
        .order_by(Notification.id)
    )
    receipt, *to_staff = inbox.all()
    assert receipt.kind == "complaint.filed"
    assert complaint["tracking_number"] in receipt.title_id
    assert complaint["tracking_number"] in receipt.title_en
    # The routing agency's officer and supervisor are told a new complaint is in their queue.
    assert [n.kind for n in to_staff] == ["complaint.routed", "complaint.routed"]
    assert receipt.user_id not in {n.user_id for n in to_staff}


async def test_tracking_numbers_differ_and_the_queue_of_the_other_agency_gets_its_own(
    client, callers
):
    road = await file_complaint(client, callers.resident)
    waste = await file_complaint(
        client, callers.resident, category=WASTE, answers={"jenis_lokasi": "tps"}
    )
    assert road["tracking_number"] != waste["tracking_number"]
    assert waste["agency"]["code"] == "dlh"

    queue = await client.get("/api/v1/complaints/queue", headers=callers.waste_officer)
    assert [item["id"] for item in queue.json()["items"]] == [waste["id"]]


async def test_bad_input_is_a_422_naming_each_field(client, callers):
    cases = [
        (complaint_body(latitude=-7.5), "latitude", "outside_region"),
        (complaint_body(category="tidak-ada"), "category", "validation_failed"),
        (
            complaint_body(answers={"ukuran_lubang": "raksasa"}),
            "answers.ukuran_lubang",
            "validation_failed",
        ),
        (complaint_body(answers={}), "answers.membahayakan", "validation_failed"),
        (complaint_body(latitude=123), "latitude", "validation_failed"),
        (complaint_body(title="x"), "title", "validation_failed"),
    ]
    for body, field, code in cases:
        response = await client.post("/api/v1/complaints", json=body, headers=callers.resident)
        assert response.status_code == 422, (field, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in problem["errors"]], problem
        assert code in [error["code"] for error in problem["errors"]], problem


async def test_only_residents_file_and_anonymous_callers_are_asked_to_log_in(client, callers):
    assert (await client.post("/api/v1/complaints", json=complaint_body())).status_code == 401
    for staff in (callers.road_officer, callers.admin):
        response = await client.post("/api/v1/complaints", json=complaint_body(), headers=staff)
        assert response.status_code == 403


async def test_a_retried_filing_with_the_same_key_returns_the_first_complaint(client, callers):
    headers = {**callers.resident, "Idempotency-Key": "0f1e2d3c-retry-test"}
    first = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    again = await client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"

    changed = await client.post(
        "/api/v1/complaints", json=complaint_body(title="Another pothole"), headers=headers
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"

    mine = await client.get("/api/v1/complaints/mine", headers=callers.resident)
    assert [item["id"] for item in mine.json()["items"]] == [first.json()["id"]]


async def test_my_complaints_are_mine_only_newest_first_and_paginated(client, callers):
    ids = [(await file_complaint(client, callers.resident))["id"] for _ in range(3)]
    await file_complaint(client, callers.other_resident)

    first = await client.get("/api/v1/complaints/mine?limit=2", headers=callers.resident)
    page = first.json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert page["items"][0]["deadline"]["due_date"]
    rest = await client.get(
        f"/api/v1/complaints/mine?limit=2&cursor={page['next_cursor']}", headers=callers.resident
    )
    assert [item["id"] for item in rest.json()["items"]] == [ids[0]]
    assert rest.json()["next_cursor"] is None

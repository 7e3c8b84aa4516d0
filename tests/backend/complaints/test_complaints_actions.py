"""Every officer and reporter action through the API, with its audit trail and notifications."""

import datetime as dt

from sqlmodel import select

from backend.complaints import service
from backend.complaints.models import Complaint, ComplaintEvent, ComplaintSupporter
from backend.notifications.models import Notification
from tests.backend.complaints.complaint_helpers import act, file_complaint


def _kinds(session, user_id: int) -> list[str]:
    rows = session.exec(
        select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
    )
    return list(rows)


def _reporter_id(session, complaint: dict) -> int:
    return session.get(Complaint, complaint["id"]).reporter_id


async def test_verify_start_resolve_rate_and_close(client, callers, session):
    complaint = await file_complaint(client, callers.resident)
    verified = await act(
        client, complaint, "verify", callers.road_officer, note="Benar, ada lubang"
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified"
    # The follow-up deadline replaces the verify deadline.
    assert verified.json()["deadline"]["due_date"] >= complaint["deadline"]["due_date"]

    started = await act(client, complaint, "start-work", callers.road_officer)
    assert started.json()["status"] == "in_progress"
    resolved = await act(client, complaint, "resolve", callers.road_officer, note="Sudah ditambal.")
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["reopen_until"] is not None

    mine = (
        await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    ).json()
    assert mine["allowed_actions"] == ["reopen", "rate"]
    rated = await act(client, complaint, "rate", callers.resident, rating=5, comment="Cepat!")
    assert rated.status_code == 200
    assert (rated.json()["rating"], rated.json()["rating_comment"]) == (5, "Cepat!")
    assert (await act(client, complaint, "rate", callers.resident, rating=6)).status_code == 422

    closed = await act(client, complaint, "close", callers.road_officer)
    assert closed.json()["status"] == "closed"
    assert closed.json()["open311_status"] == "closed"

    timeline = [(e["action"], e["from_status"], e["to_status"]) for e in closed.json()["timeline"]]
    assert timeline == [
        ("file", None, "submitted"),
        ("verify", "submitted", "verified"),
        ("start_work", "verified", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("rate", "resolved", "resolved"),
        ("close", "resolved", "closed"),
    ]
    # Staff see who did what; every action is in the audit trail with its actor and time.
    assert closed.json()["timeline"][1]["actor_name"] == "Petugas dbmsda"
    assert _kinds(session, _reporter_id(session, complaint)) == [
        "complaint.filed",
        "complaint.verified",
        "complaint.work_started",
        "complaint.resolved",
        "complaint.closed",
    ]


async def test_actions_outside_the_state_machine_are_a_409(client, callers):
    complaint = await file_complaint(client, callers.resident)
    for action, body in [("start-work", {}), ("resolve", {"note": "x"}), ("close", {})]:
        response = await act(client, complaint, action, callers.road_officer, **body)
        assert response.status_code == 409, action
        assert response.json()["code"] == "transition_not_allowed"
    response = await act(client, complaint, "reopen", callers.resident, note="Belum beres")
    assert response.status_code == 409


async def test_forwarding_moves_the_complaint_to_the_other_agencys_queue(client, callers, session):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "claim", callers.road_officer)
    forwarded = await act(
        client, complaint, "forward", callers.road_officer, agency="dlh", reason="Ini soal sampah"
    )
    assert forwarded.status_code == 200, forwarded.text
    body = forwarded.json()
    assert (body["status"], body["agency"]["code"], body["assignee_id"]) == (
        "submitted",
        "dlh",
        None,
    )
    assert body["timeline"][-1]["details"] == {"from_agency": "dbmsda", "to_agency": "dlh"}
    assert body["timeline"][-1]["note"] == "Ini soal sampah"

    road_queue = await client.get("/api/v1/complaints/queue", headers=callers.road_officer)
    waste_queue = await client.get("/api/v1/complaints/queue", headers=callers.waste_officer)
    assert road_queue.json()["items"] == []
    assert [item["id"] for item in waste_queue.json()["items"]] == [complaint["id"]]
    # The forwarding agency no longer sees it.
    url = f"/api/v1/complaints/{complaint['id']}"
    assert (await client.get(url, headers=callers.road_officer)).status_code == 404
    assert (await client.get(url, headers=callers.waste_officer)).status_code == 200

    same = await act(client, complaint, "forward", callers.waste_officer, agency="dlh", reason="x")
    assert same.status_code == 422
    assert "complaint.forwarded" in _kinds(session, _reporter_id(session, complaint))

    # The first agency's staff heard of the new complaint; the second's of its arrival.
    road_officer = (await client.get("/api/v1/me", headers=callers.road_officer)).json()["id"]
    waste_officer = (await client.get("/api/v1/me", headers=callers.waste_officer)).json()["id"]
    assert _kinds(session, road_officer) == ["complaint.routed"]
    assert _kinds(session, waste_officer) == ["complaint.forwarded_in"]


async def test_information_request_pauses_and_the_answer_resumes_where_it_was(client, callers):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    await act(client, complaint, "start-work", callers.road_officer)
    asked = await act(
        client, complaint, "request-info", callers.road_officer, note="Di sisi jalan yang mana?"
    )
    assert asked.json()["status"] == "waiting_reporter"
    assert asked.json()["deadline"]["clock_paused"] is True
    assert asked.json()["deadline"]["pauses"][0]["ended_at"] is None

    seen = (
        await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    ).json()
    assert seen["timeline"][-1]["note"] == "Di sisi jalan yang mana?"
    assert "provide_info" in seen["allowed_actions"]

    answered = await act(client, complaint, "provide-info", callers.resident, note="Sisi utara.")
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_progress"  # where it was before the question
    pause = answered.json()["deadline"]["pauses"][0]
    assert pause["ended_at"] is not None and pause["working_days"] == 0
    assert answered.json()["deadline"]["clock_paused"] is False


async def test_reject_with_a_reason(client, callers):
    complaint = await file_complaint(client, callers.resident)
    response = await act(
        client, complaint, "reject", callers.road_officer, reason="spam", note="Iklan."
    )
    assert response.json()["status"] == "rejected"
    assert response.json()["timeline"][-1]["details"] == {"reason": "spam"}
    missing = await file_complaint(client, callers.resident)
    assert (
        await act(client, missing, "reject", callers.road_officer, reason="spam")
    ).status_code == 422


async def test_duplicate_tells_its_followers_and_the_original_gains_supporters(
    client, callers, session
):
    original = await file_complaint(client, callers.resident)
    copy = await file_complaint(client, callers.other_resident)
    await client.put(f"/api/v1/complaints/{copy['id']}/support", headers=callers.resident)

    response = await act(
        client, copy, "mark-duplicate", callers.road_officer, original=original["tracking_number"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "duplicate"
    assert response.json()["duplicate_of"] == original["tracking_number"]

    supporters = session.exec(
        select(ComplaintSupporter.user_id).where(ComplaintSupporter.complaint_id == original["id"])
    ).all()
    # The copy's reporter now supports the original; its own reporter is not counted twice.
    assert supporters == [_reporter_id(session, copy)]
    for follower in (_reporter_id(session, copy), _reporter_id(session, original)):
        assert "complaint.duplicate" in _kinds(session, follower)

    itself = await act(
        client,
        original,
        "mark-duplicate",
        callers.road_officer,
        original=original["tracking_number"],
    )
    assert itself.status_code == 422


async def test_claim_and_assign_within_the_agency(client, callers, demo, session):
    complaint = await file_complaint(client, callers.resident)
    claimed = await act(client, complaint, "claim", callers.road_officer)
    officer_id = claimed.json()["assignee_id"]
    assert claimed.json()["assignee"]["full_name"] == "Petugas dbmsda"

    mine = await client.get("/api/v1/complaints/queue?assigned=me", headers=callers.road_officer)
    assert [item["id"] for item in mine.json()["items"]] == [complaint["id"]]
    free = await client.get(
        "/api/v1/complaints/queue?assigned=unassigned", headers=callers.road_officer
    )
    assert free.json()["items"] == []

    supervisor = await act(client, complaint, "claim", callers.road_supervisor)
    supervisor_id = supervisor.json()["assignee_id"]
    assert supervisor_id != officer_id
    handed = await act(client, complaint, "assign", callers.road_supervisor, assignee_id=officer_id)
    assert handed.json()["assignee_id"] == officer_id
    assert _kinds(session, officer_id) == ["complaint.routed", "complaint.assigned"]

    # An officer may not hand work around; nor may anyone hand it outside the agency.
    denied = await act(client, complaint, "assign", callers.road_officer, assignee_id=supervisor_id)
    assert denied.status_code == 403
    waste_officer = await client.get("/api/v1/me", headers=callers.waste_officer)
    outside = await act(
        client, complaint, "assign", callers.road_supervisor, assignee_id=waste_officer.json()["id"]
    )
    assert outside.status_code == 422
    # Claims and assignments are internal: the reporter's timeline does not show them.
    seen = (
        await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    ).json()
    assert [e["action"] for e in seen["timeline"]] == ["file"]


async def test_public_replies_reach_the_reporter_and_internal_notes_do_not(
    client, callers, session
):
    complaint = await file_complaint(client, callers.resident)
    url = f"/api/v1/complaints/{complaint['id']}/comments"
    reply = await client.post(url, json={"text": "Terima kasih."}, headers=callers.road_officer)
    assert reply.status_code == 201
    note = {"text": "Cek anggaran dulu.", "public": False}
    assert (await client.post(url, json=note, headers=callers.road_officer)).status_code == 201
    addition = {"text": "Sekarang makin dalam."}
    assert (await client.post(url, json=addition, headers=callers.resident)).status_code == 201

    seen = (
        await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.resident)
    ).json()
    notes = [e["note"] for e in seen["timeline"] if e["action"] == "comment"]
    assert notes == ["Terima kasih.", "Sekarang makin dalam."]
    assert all(e["actor_name"] is None for e in seen["timeline"])
    staff = (
        await client.get(f"/api/v1/complaints/{complaint['id']}", headers=callers.road_officer)
    ).json()
    assert [e["note"] for e in staff["timeline"] if e["action"] == "comment"] == [
        "Terima kasih.",
        "Cek anggaran dulu.",
        "Sekarang makin dalam.",
    ]
    public = (await client.get(f"/api/v1/public/complaints/{complaint['id']}")).json()
    assert [e["note"] for e in public["timeline"] if e["action"] == "comment"] == ["Terima kasih."]
    assert _kinds(session, _reporter_id(session, complaint)) == [
        "complaint.filed",
        "complaint.replied",
    ]


async def test_reopen_within_the_window_goes_back_to_the_queue(client, callers):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    await act(client, complaint, "resolve", callers.road_officer, note="Sudah ditambal.")
    reopened = await act(
        client, complaint, "reopen", callers.resident, note="Lubangnya muncul lagi"
    )
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "verified"
    assert reopened.json()["reopen_until"] is None
    queue = await client.get("/api/v1/complaints/queue", headers=callers.road_officer)
    assert [item["id"] for item in queue.json()["items"]] == [complaint["id"]]


async def _resolved_long_ago(client, callers, session, days: int) -> dict:
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    await act(client, complaint, "resolve", callers.road_officer, note="Selesai.")
    row = session.get(Complaint, complaint["id"])
    session.refresh(row)
    row.resolved_at = row.resolved_at - dt.timedelta(days=days)
    session.commit()
    return complaint


async def test_after_the_reopen_window_the_reporter_can_no_longer_reopen(client, callers, session):
    complaint = await _resolved_long_ago(client, callers, session, days=8)
    response = await act(client, complaint, "reopen", callers.resident, note="Belum beres")
    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_closed"
    # It reads as closed at once, everywhere; the close is recorded by `close_expired` later.
    url = f"/api/v1/complaints/{complaint['id']}"
    seen = (await client.get(url, headers=callers.resident)).json()
    assert (seen["status"], seen["reopen_until"]) == ("closed", None)
    assert "reopen" not in seen["allowed_actions"]
    assert seen["timeline"][-1]["action"] == "resolve"
    mine = (await client.get("/api/v1/complaints/mine", headers=callers.resident)).json()
    assert mine["items"][0]["status"] == "closed"
    queue = "/api/v1/complaints/queue"
    for status, expected in (("closed", [complaint["id"]]), ("resolved", [])):
        listed = await client.get(queue, params={"status": status}, headers=callers.road_officer)
        assert [item["id"] for item in listed.json()["items"]] == expected
    public = (await client.get(f"/api/v1/public/{url.removeprefix('/api/v1/')}")).json()
    assert public["status"] == "closed"
    feed = await client.get("/api/v1/public/complaints", params={"status": "closed"})
    assert [item["id"] for item in feed.json()["items"]] == [complaint["id"]]
    layer = (await client.get("/api/v1/public/complaints/map")).json()
    assert layer["features"][0]["properties"]["status"] == "closed"
    today = dt.date.today()
    period = {
        "since": str(today - dt.timedelta(days=1)),
        "until": str(today + dt.timedelta(days=1)),
    }
    exported = (await client.get("/api/v1/open-data/complaints.json", params=period)).json()
    assert [row["status"] for row in exported] == ["closed"]
    row = session.get(Complaint, complaint["id"])
    session.refresh(row)
    assert row.status == "resolved"  # reading wrote nothing
    assert service.close_expired(session) == 1
    session.commit()
    seen = (await client.get(url, headers=callers.resident)).json()
    assert seen["status"] == "closed"
    assert seen["timeline"][-1]["actor_role"] == "system"


async def test_close_expired_closes_only_complaints_past_their_window(client, callers, session):
    expired = await _resolved_long_ago(client, callers, session, days=8)
    recent = await _resolved_long_ago(client, callers, session, days=6)

    assert service.close_expired(session) == 1
    session.commit()
    assert session.get(Complaint, expired["id"]).status == "closed"
    assert session.get(Complaint, recent["id"]).status == "resolved"
    event = session.exec(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == expired["id"])
        .order_by(ComplaintEvent.id.desc())
    ).first()
    assert (event.action, event.actor_id, event.actor_role) == ("close", None, "system")
    assert service.close_expired(session) == 0


async def test_a_stale_if_match_is_a_409_and_a_current_one_passes(client, callers):
    complaint = await file_complaint(client, callers.resident)
    url = f"/api/v1/complaints/{complaint['id']}/actions/verify"
    stale = {**callers.road_officer, "If-Match": f'"{complaint["version"] + 1}"'}
    response = await client.post(url, json={}, headers=stale)
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    current = {**callers.road_officer, "If-Match": f'"{complaint["version"]}"'}
    assert (await client.post(url, json={}, headers=current)).status_code == 200


async def test_supporting_counts_once_per_resident(client, callers):
    complaint = await file_complaint(client, callers.resident)
    url = f"/api/v1/complaints/{complaint['id']}/support"
    for _ in range(2):
        response = await client.put(url, headers=callers.other_resident)
        assert response.json() == {"supporter_count": 1, "supported_by_me": True}
    assert (await client.put(url, headers=callers.resident)).status_code == 409
    assert (await client.put(url, headers=callers.road_officer)).status_code == 403
    public = (await client.get(f"/api/v1/public/complaints/{complaint['id']}")).json()
    assert public["supporter_count"] == 1

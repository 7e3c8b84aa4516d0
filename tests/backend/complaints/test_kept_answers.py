"""Answers kept per caller (backend/kept_answers.py): a repeated read is sent again without SQL
and byte for byte the same, never to another caller, and never after a write or the clock has
changed what it shows."""

import datetime as dt

import anyio
from sqlmodel import select

from backend.accounts.models import User
from backend.complaints import service
from backend.complaints.models import Complaint
from backend.db import utcnow
from backend.region.models import Agency
from tests.backend.complaints.complaint_helpers import WASTE, act, file_complaint
from tests.backend.helpers import engines_of, statements_on, without_request_id

MINE = "/api/v1/complaints/mine"
QUEUE = "/api/v1/complaints/queue"


async def _read_twice(client, app, path: str, headers: dict[str, str]):
    """The answer read normally, then kept: the same bytes and headers, and no statement."""
    normally = await client.get(path, headers=headers)
    with statements_on(*engines_of(app)) as sent:
        kept = await client.get(path, headers=headers)
    assert normally.status_code == 200, normally.text
    assert sent == [], path
    assert kept.content == normally.content, path
    assert without_request_id(kept) == without_request_id(normally), path
    return kept


async def test_each_hot_read_is_sent_again_without_sql(client, app, callers):
    complaint = await file_complaint(client, callers.resident)
    for path, headers in [
        (MINE, callers.resident),
        (f"/api/v1/complaints/{complaint['id']}", callers.resident),
        (QUEUE, callers.road_officer),
        (f"{QUEUE}?due=due_soon&limit=5", callers.road_officer),
        (f"/api/v1/complaints/{complaint['id']}", callers.road_officer),
        ("/api/v1/notifications", callers.road_officer),
        ("/api/v1/notifications/unread-count", callers.road_officer),
        ("/api/v1/permits/applications", callers.resident),
        ("/api/v1/me", callers.resident),
    ]:
        await _read_twice(client, app, path, headers)
    english = {**callers.road_officer, "Accept-Language": "en"}
    inbox = await _read_twice(client, app, "/api/v1/notifications", english)
    assert inbox.headers["content-language"] == "en"


async def test_a_kept_answer_is_never_sent_to_another_caller(client, app, callers):
    road = await file_complaint(client, callers.resident)
    waste = await file_complaint(
        client, callers.other_resident, category=WASTE, answers={"jenis_lokasi": "tps"}
    )
    detail = f"/api/v1/complaints/{road['id']}"
    await _read_twice(client, app, detail, callers.resident)
    assert (await client.get(detail, headers=callers.other_resident)).status_code == 404
    assert (await client.get(detail, headers=callers.waste_officer)).status_code == 404

    def ids(response) -> list[int]:
        return [item["id"] for item in response.json()["items"]]

    assert ids(await _read_twice(client, app, MINE, callers.resident)) == [road["id"]]
    assert ids(await client.get(MINE, headers=callers.other_resident)) == [waste["id"]]
    assert ids(await _read_twice(client, app, QUEUE, callers.road_officer)) == [road["id"]]
    assert ids(await client.get(QUEUE, headers=callers.waste_officer)) == [waste["id"]]


async def test_a_write_shows_at_once_to_every_caller_it_concerns(client, app, callers):
    complaint = await file_complaint(client, callers.resident)
    detail = f"/api/v1/complaints/{complaint['id']}"
    await _read_twice(client, app, detail, callers.resident)
    await _read_twice(client, app, MINE, callers.resident)
    await _read_twice(client, app, QUEUE, callers.road_officer)
    await _read_twice(client, app, "/api/v1/notifications/unread-count", callers.resident)

    verified = await act(client, complaint, "verify", callers.road_officer)
    assert verified.status_code == 200, verified.text
    assert (await client.get(detail, headers=callers.resident)).json()["status"] == "verified"
    [line] = (await client.get(MINE, headers=callers.resident)).json()["items"]
    assert line["status"] == "verified"
    [queued] = (await client.get(QUEUE, headers=callers.road_officer)).json()["items"]
    assert queued["status"] == "verified"
    unread = await client.get("/api/v1/notifications/unread-count", headers=callers.resident)
    assert unread.json()["unread"] == 2  # filed, then verified


async def test_an_officer_moved_to_another_agency_sees_its_queue_at_once(
    client, app, callers, session, demo
):
    road = await file_complaint(client, callers.resident)
    waste = await file_complaint(
        client, callers.resident, category=WASTE, answers={"jenis_lokasi": "tps"}
    )
    [line] = (await _read_twice(client, app, QUEUE, callers.road_officer)).json()["items"]
    assert line["id"] == road["id"]
    officer = session.exec(select(User).where(User.email == demo.officer("dbmsda").username)).one()
    officer.agency_id = session.exec(select(Agency.id).where(Agency.code == "dlh")).one()
    session.commit()  # a script's own engine: its commit ends the officer's verification
    [line] = (await client.get(QUEUE, headers=callers.road_officer)).json()["items"]
    assert line["id"] == waste["id"]


async def test_a_resolved_complaint_reads_as_closed_the_moment_its_reopen_window_ends(
    client, app, callers, session
):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    resolved = await act(client, complaint, "resolve", callers.road_officer, note="Selesai.")
    assert resolved.status_code == 200, resolved.text
    window = service.clock_for(session, now=utcnow()).reopen_window
    row = session.get_one(Complaint, complaint["id"])
    row.resolved_at = utcnow() - window + dt.timedelta(seconds=1.5)  # ends in 1.5 s
    session.commit()

    detail = f"/api/v1/complaints/{complaint['id']}"
    assert (await _read_twice(client, app, detail, callers.resident)).json()["status"] == "resolved"
    [line] = (await _read_twice(client, app, MINE, callers.resident)).json()["items"]
    assert line["status"] == "resolved"
    await anyio.sleep(1.6)  # past the end of the window
    assert (await client.get(detail, headers=callers.resident)).json()["status"] == "closed"
    [line] = (await client.get(MINE, headers=callers.resident)).json()["items"]
    assert line["status"] == "closed"


async def test_a_queue_filtered_by_status_is_read_afresh_each_time(client, app, callers):
    # Which complaints read as resolved or closed turns with any reopen window of the agency.
    await file_complaint(client, callers.resident)
    path = f"{QUEUE}?status=submitted"
    await client.get(path, headers=callers.road_officer)
    with statements_on(*engines_of(app)) as sent:
        again = await client.get(path, headers=callers.road_officer)
    assert again.status_code == 200 and sent

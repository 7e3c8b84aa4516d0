"""Answers kept per caller (backend/kept_answers.py): a repeated read is sent again without SQL
and byte for byte the same, never to another caller, and never after a write or the clock has
changed what it shows."""

import datetime as dt
from collections.abc import Awaitable

import anyio
import httpx
import pytest
from sqlmodel import select, update

from backend.accounts.models import User
from backend.complaints import service
from backend.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPause,
    ComplaintPhoto,
    ComplaintSupporter,
)
from backend.db import utcnow
from backend.region.models import Agency
from tests.backend.complaints.complaint_helpers import WASTE, act, file_complaint, jpeg_bytes
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


async def _sent_again(client, app, path: str, headers: dict[str, str]) -> bool:
    """Whether the answer came from memory (no statement sent)."""
    with statements_on(*engines_of(app)) as sent:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return not sent


INBOX, UNREAD = "/api/v1/notifications", "/api/v1/notifications/unread-count"


async def test_a_write_to_other_rows_leaves_a_kept_answer_kept(client, app, callers):
    """A queue, "my complaints" and an inbox show only some rows of their table: a filing of
    another resident at another agency changes none of them."""
    await file_complaint(client, callers.resident)
    kept = [
        (QUEUE, callers.road_officer),
        (MINE, callers.resident),
        (INBOX, callers.resident),
        (UNREAD, callers.resident),
        (INBOX, callers.road_officer),
    ]
    for path, headers in kept:
        await _read_twice(client, app, path, headers)
    await file_complaint(
        client, callers.other_resident, category=WASTE, answers={"jenis_lokasi": "tps"}
    )
    for path, headers in kept:
        assert await _sent_again(client, app, path, headers), path
    # The same filing shows at once where it belongs.
    [waste] = (await client.get(QUEUE, headers=callers.waste_officer)).json()["items"]
    assert waste["category"]["code"] == WASTE


async def test_a_filing_reaches_its_agencys_kept_queue_and_its_reporters_list_at_once(
    client, app, callers
):
    first = await file_complaint(client, callers.resident)
    await _read_twice(client, app, QUEUE, callers.road_officer)
    await _read_twice(client, app, MINE, callers.other_resident)
    await _read_twice(client, app, UNREAD, callers.road_officer)
    second = await file_complaint(client, callers.other_resident)
    queue = (await client.get(QUEUE, headers=callers.road_officer)).json()["items"]
    assert {line["id"] for line in queue} == {first["id"], second["id"]}
    [mine] = (await client.get(MINE, headers=callers.other_resident)).json()["items"]
    assert mine["id"] == second["id"]
    unread = (await client.get(UNREAD, headers=callers.road_officer)).json()["unread"]
    assert unread == 2  # routed to the agency, twice


async def test_a_forwarded_complaint_leaves_one_kept_queue_and_joins_the_other_at_once(
    client, app, callers
):
    complaint = await file_complaint(client, callers.resident)
    [line] = (await _read_twice(client, app, QUEUE, callers.road_officer)).json()["items"]
    assert line["id"] == complaint["id"]
    assert (await _read_twice(client, app, QUEUE, callers.waste_officer)).json()["items"] == []
    forwarded = await act(
        client, complaint, "forward", callers.road_officer, agency="dlh", reason="Sampah."
    )
    assert forwarded.status_code == 200, forwarded.text
    assert (await client.get(QUEUE, headers=callers.road_officer)).json()["items"] == []
    [line] = (await client.get(QUEUE, headers=callers.waste_officer)).json()["items"]
    assert line["id"] == complaint["id"]


async def test_reading_ones_inbox_shows_at_once(client, app, callers):
    await file_complaint(client, callers.resident)
    assert (await _read_twice(client, app, UNREAD, callers.resident)).json()["unread"] == 1
    [entry] = (await _read_twice(client, app, INBOX, callers.resident)).json()["items"]
    read = await client.post("/api/v1/notifications/read-all", headers=callers.resident)
    assert read.status_code in (200, 204), read.text
    assert (await client.get(UNREAD, headers=callers.resident)).json()["unread"] == 0
    [entry] = (await client.get(INBOX, headers=callers.resident)).json()["items"]
    assert entry["read_at"] is not None


async def test_a_kept_detail_stays_through_writes_to_other_complaints(client, app, callers):
    """Another complaint of the same reporter at the same agency, verified, commented on, given
    a photo and supported: nothing of it is in this complaint's detail."""
    complaint = await file_complaint(client, callers.resident)
    other = await file_complaint(client, callers.resident)
    detail = f"/api/v1/complaints/{complaint['id']}"
    readers = [callers.resident, callers.road_officer]
    for headers in readers:
        await _read_twice(client, app, detail, headers)

    assert (await act(client, other, "verify", callers.road_officer)).status_code == 200
    comment = {"text": "Lubangnya makin lebar."}
    path = f"/api/v1/complaints/{other['id']}"
    assert (
        await client.post(f"{path}/comments", json=comment, headers=callers.resident)
    ).is_success
    photo = [("files", ("p.jpg", jpeg_bytes(), "image/jpeg"))]
    assert (await client.post(f"{path}/photos", files=photo, headers=callers.resident)).is_success
    assert (await client.put(f"{path}/support", headers=callers.other_resident)).is_success

    for headers in readers:
        assert await _sent_again(client, app, detail, headers)


async def test_each_write_to_a_complaint_shows_in_its_kept_detail_at_once(client, app, callers):
    complaint = await file_complaint(client, callers.resident)
    detail = f"/api/v1/complaints/{complaint['id']}"
    readers = [callers.resident, callers.road_officer]

    async def shown_after(write: Awaitable[httpx.Response]) -> list[dict]:
        """Each reader's detail, kept before `write` runs and read right after it."""
        for headers in readers:
            await _read_twice(client, app, detail, headers)
        response = await write
        assert response.is_success, response.text
        return [(await client.get(detail, headers=headers)).json() for headers in readers]

    for seen in await shown_after(act(client, complaint, "verify", callers.road_officer)):
        assert seen["status"] == "verified"  # the complaint's own row
        assert seen["timeline"][-1]["action"] == "verify"  # its timeline
    photo = [("files", ("p.jpg", jpeg_bytes(), "image/jpeg"))]
    upload = client.post(f"{detail}/photos", files=photo, headers=callers.resident)
    for seen in await shown_after(upload):
        assert len(seen["photos"]) == 1
    for seen in await shown_after(client.put(f"{detail}/support", headers=callers.other_resident)):
        assert seen["supporter_count"] == 1
    ask = act(client, complaint, "request-info", callers.road_officer, note="Di mana?")
    for seen in await shown_after(ask):
        assert seen["deadline"]["clock_paused"] is True
        assert len(seen["deadline"]["pauses"]) == 1  # its pauses


def _row_of(model, complaint_id: int, person_id: int):
    """One row of a complaint's child table, as a script writing through the ORM would add."""
    photo = {"uploaded_by_id": person_id, "file_key": "k", "thumbnail_key": "k"}
    fields = {
        ComplaintEvent: {"actor_role": "system", "action": "note", "details": {}},
        ComplaintPause: {"started_at": utcnow()},
        ComplaintPhoto: {**photo, "width": 1, "height": 1},
        ComplaintSupporter: {"user_id": person_id},
    }[model]
    return model(complaint_id=complaint_id, **fields)


@pytest.mark.parametrize(
    "model", [ComplaintEvent, ComplaintPause, ComplaintPhoto, ComplaintSupporter]
)
async def test_a_row_added_to_a_complaint_drops_its_kept_detail_only(
    client, app, callers, session, model
):
    """Each table a detail shows rows of is scoped by complaint: a row for another complaint
    leaves the kept detail in place, a row for this one drops it."""
    complaint = await file_complaint(client, callers.resident)
    other = await file_complaint(client, callers.resident)
    detail = f"/api/v1/complaints/{complaint['id']}"
    await _read_twice(client, app, detail, callers.resident)
    person = complaint["reporter"]["id"]

    session.add(_row_of(model, other["id"], person))
    session.commit()
    assert await _sent_again(client, app, detail, callers.resident)

    session.add(_row_of(model, complaint["id"], person))
    session.commit()
    assert not await _sent_again(client, app, detail, callers.resident)


async def test_a_change_to_a_complaints_own_row_drops_its_kept_detail_only(
    client, app, callers, session
):
    """A script changing a complaint through the ORM, with no timeline entry: a complaint of the
    same reporter and agency leaves the kept detail in place, this one's change shows at once."""
    complaint = await file_complaint(client, callers.resident)
    other = await file_complaint(client, callers.resident)
    detail = f"/api/v1/complaints/{complaint['id']}"
    await _read_twice(client, app, detail, callers.resident)

    theirs = session.get(Complaint, other["id"])
    theirs.title = "Jalan berlubang dalam"
    session.commit()
    assert await _sent_again(client, app, detail, callers.resident)
    mine = session.get(Complaint, complaint["id"])
    mine.title = "Jalan berlubang dalam"
    session.commit()
    assert (await client.get(detail, headers=callers.resident)).json()["title"] == mine.title


async def test_a_write_that_names_no_rows_drops_every_kept_list(client, app, callers, session):
    """A Core UPDATE (a script, a job) cannot tell which agency's or reporter's rows it
    changed: every kept queue and list built from the table goes."""
    complaint = await file_complaint(client, callers.resident)
    await _read_twice(client, app, QUEUE, callers.road_officer)
    await _read_twice(client, app, MINE, callers.resident)
    session.exec(
        update(Complaint).where(Complaint.id == complaint["id"]).values(title="Jalan berlubang")
    )
    session.commit()
    [line] = (await client.get(QUEUE, headers=callers.road_officer)).json()["items"]
    assert line["title"] == "Jalan berlubang"
    [line] = (await client.get(MINE, headers=callers.resident)).json()["items"]
    assert line["title"] == "Jalan berlubang"

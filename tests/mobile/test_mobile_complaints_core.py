"""Filing complaints through the outbox (complaint, then its photos, exactly once), and the
pieces the complaint screens compute on the device."""

from uuid import uuid4

import pytest
from PIL import Image

from mobile.core.api import ApiClient, ApiError
from mobile.core.complaints import (
    deadline_badge,
    describe_place,
    nearest_place,
    queue_complaint,
    region_centre,
    visible_actions,
    waiting_complaints,
)
from mobile.core.i18n import translator
from mobile.core.outbox import Outbox, OutboxStatus
from mobile.core.tokens import TokenStore

COMPLAINT = {
    "category": "sampah",
    "title": "Sampah di saluran air",
    "description": "Saluran tersumbat kantong plastik sejak seminggu.",
    "latitude": -6.3101,
    "longitude": 106.6502,
    "answers": {"jenis_lokasi": "saluran"},
}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "saluran.png"
    Image.new("RGB", (320, 240), (40, 90, 160)).save(path)
    return path


async def signed_in(make_client, api_server) -> ApiClient:
    api = make_client(api_server.base_url)
    resident = api_server.account("resident")
    await api.login(resident.username, resident.password)
    return api


async def filed(api: ApiClient, title: str) -> list[dict]:
    mine = (await api.my_complaints()).data["items"]
    return [(await api.complaint(c["id"])).data for c in mine if c["title"] == title]


async def test_complaint_and_photos_wait_across_a_restart_and_are_created_once(
    api_server, unreachable_url, tmp_path, make_client, photo
):
    api = await signed_in(make_client, api_server)
    body = {**COMPLAINT, "title": "Sampah di saluran air, RT 03"}
    outbox = Outbox(tmp_path / "outbox")
    first = queue_complaint(outbox, body, [photo])
    photo.unlink()  # the outbox sends its own copy

    offline = await outbox.flush(make_client(unreachable_url))
    assert (offline.sent, offline.waiting) == (0, 2)
    assert [item.id for item in waiting_complaints(outbox)] == [first.id]
    outbox.close()

    restarted = Outbox(tmp_path / "outbox")
    online = await restarted.flush(api)
    assert (online.sent, online.failed, online.waiting) == (2, 0, 0)
    created = restarted.get(first.id).response
    photos_path = f"/api/v1/complaints/{created['id']}/photos"
    assert api.transport.count(photos_path) == 1  # the photo went to the complaint just created
    assert (await restarted.flush(api)).sent == 0

    [complaint] = await filed(api, body["title"])
    assert complaint["id"] == created["id"] and len(complaint["photos"]) == 1
    assert waiting_complaints(restarted) == []


async def test_a_complaint_whose_answer_was_lost_is_not_filed_twice(
    api_server, tmp_path, make_client, photo
):
    api = await signed_in(make_client, api_server)
    body = {**COMPLAINT, "title": "Sampah di saluran air, RT 05"}
    outbox = Outbox(tmp_path / "outbox")
    first = queue_complaint(outbox, body, [photo])
    # The request reached the server, but the phone never saw the answer.
    reached = await api.send(
        "POST", "/complaints", body=body, idempotency_key=first.idempotency_key
    )

    result = await outbox.flush(api)

    assert (result.sent, result.waiting) == (2, 0)
    assert outbox.get(first.id).response["id"] == reached["id"]
    [complaint] = await filed(api, body["title"])
    assert len(complaint["photos"]) == 1


async def test_a_refused_complaint_fails_with_its_photos_and_is_discarded_with_them(
    api_server, tmp_path, make_client, photo
):
    api = await signed_in(make_client, api_server)
    outbox = Outbox(tmp_path / "outbox")
    first = queue_complaint(outbox, {**COMPLAINT, "title": "Bad"}, [photo])  # too short

    result = await outbox.flush(api)

    assert (result.sent, result.failed) == (0, 2)
    failed, photos = outbox.items()
    assert failed.problem["code"] == photos.problem["code"] == "validation_failed"
    assert failed.problem["errors"][0]["field"] == "title"
    assert photos.status is OutboxStatus.FAILED
    assert api.transport.requests[-1].url.path == "/api/v1/complaints"  # no photo upload tried
    outbox.discard(first.id)
    assert outbox.items() == []


async def test_files_and_a_json_body_never_share_a_request(tmp_path, make_client, photo):
    api = make_client("http://127.0.0.1:9")
    with pytest.raises(ValueError):
        await api.send("POST", "/complaints/1/photos", body={"x": 1}, uploads=[photo])


def test_deadline_badges_follow_the_server_flags():
    def badge(overdue: bool = False, paused: bool = False, soon: bool = False) -> str | None:
        deadline = {"due_date": "2026-11-30", "overdue": overdue, "clock_paused": paused}
        return deadline_badge({**deadline, "due_soon": soon})

    assert badge(overdue=True) == "overdue"
    assert badge(paused=True) == "paused"
    assert badge(soon=True) == "due_soon"
    assert badge() is None


def test_action_buttons_follow_the_shared_machine_and_the_region_centre_is_the_default():
    assert visible_actions("resolved", "resident") == ["reopen", "rate"]
    assert "assign" in visible_actions("verified", "supervisor")
    assert "assign" not in visible_actions("verified", "officer")
    box = {"min_lat": -6.37, "min_lon": 106.63, "max_lat": -6.21, "max_lon": 106.8}
    assert region_centre({"bounding_box": box}) == (-6.29, 106.715)


async def test_a_pin_is_named_by_the_nearest_place_the_server_lists(api_server, make_client):
    """The region the server serves (the demo pack's districts) names a pin's place."""
    region = (await make_client(api_server.base_url).region()).data
    assert nearest_place(region, -6.3150, 106.6660) == "Serpong"
    assert nearest_place(region, -6.3460, 106.7340) == "Pamulang"
    assert nearest_place({"places": []}, -6.3, 106.7) is None
    translator.language = "en"
    try:
        assert describe_place("Serpong", -6.315, 106.666) == "Near Serpong · -6.31500, 106.66600"
    finally:
        translator.language = "id"
    assert describe_place(None, -6.315, 106.666) == "-6.31500, 106.66600"


async def test_queue_filters_actions_with_the_version_seen_and_comments(
    api_server, make_client, tmp_path
):
    resident = await signed_in(make_client, api_server)
    body = {**COMPLAINT, "title": "Sampah di saluran air, RT 07", "latitude": -6.2201}
    created = await resident.send("POST", "/complaints", body=body, idempotency_key=str(uuid4()))
    officer = ApiClient(api_server.base_url, tokens=TokenStore(tmp_path / "officer"))
    account = api_server.account("officer", "dlh")
    await officer.login(account.username, account.password)

    unassigned = (await officer.complaint_queue(assigned="unassigned", status="")).data
    assert created["id"] in [c["id"] for c in unassigned["items"]]
    claimed = await officer.complaint_action(
        created["id"], "claim", None, version=created["version"]
    )
    assert claimed["assignee"]["full_name"] == "Petugas dlh"

    with pytest.raises(ApiError) as stale:  # acting on what it looked like before the claim
        await officer.complaint_action(created["id"], "verify", {}, version=created["version"])
    assert (stale.value.status, stale.value.code) == (409, "version_conflict")

    noted = await officer.complaint_action(
        created["id"],
        "comment",
        {"text": "Cek lokasi besok.", "public": False},
        version=claimed["version"],
    )
    assert noted["timeline"][-1]["note"] == "Cek lokasi besok."
    mine = (await officer.complaint_queue(assigned="me")).data["items"]
    assert [c["id"] for c in mine] == [created["id"]]
    await officer.aclose()

"""Who may do what: every forbidden action per role answers 404 or 403, never the data."""

import pytest

from tests.backend.complaints.complaint_helpers import act, file_complaint, jpeg_bytes

STAFF_ACTIONS = {
    "verify": {},
    "forward": {"agency": "dlh", "reason": "Salah instansi"},
    "request-info": {"note": "Di mana tepatnya?"},
    "start-work": {},
    "resolve": {"note": "Selesai."},
    "reject": {"reason": "spam", "note": "Iklan."},
    "mark-duplicate": {"original": "ADU-2026-000001"},
    "close": {},
    "claim": {},
    "assign": {"assignee_id": 1},
}
REPORTER_ACTIONS = {
    "provide-info": {"note": "Sisi utara."},
    "rate": {"rating": 4},
    "reopen": {"note": "Belum beres."},
}


async def _with_photo(client, callers, **changes) -> tuple[dict, dict]:
    complaint = await file_complaint(client, callers.resident, **changes)
    response = await client.post(
        f"/api/v1/complaints/{complaint['id']}/photos",
        files={"files": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers=callers.resident,
    )
    assert response.status_code == 201, response.text
    return complaint, response.json()[0]


async def test_a_confidential_complaint_and_its_photo_are_404_to_everyone_else(client, callers):
    complaint, photo = await _with_photo(client, callers, confidential=True)
    hidden = [
        f"/api/v1/complaints/{complaint['id']}",
        photo["url"],
        photo["thumbnail_url"],
        f"/api/v1/public/complaints/{complaint['id']}",
    ]
    for url in hidden:
        for headers in (callers.other_resident, callers.waste_officer, {}):
            response = await client.get(url, headers=headers)
            assert response.status_code in (401, 404), (url, response.status_code)
            assert complaint["title"] not in response.text
        if "/public/" not in url:
            assert (await client.get(url, headers=callers.resident)).status_code == 200
            assert (await client.get(url, headers=callers.road_officer)).status_code == 200


async def test_another_resident_gets_404_for_the_private_view_and_every_reporter_action(
    client, callers
):
    complaint, photo = await _with_photo(client, callers)
    url = f"/api/v1/complaints/{complaint['id']}"
    assert (await client.get(url, headers=callers.other_resident)).status_code == 404
    for action, body in REPORTER_ACTIONS.items():
        response = await act(client, complaint, action, callers.other_resident, **body)
        assert response.status_code == 404, action
    comment = await client.post(
        f"{url}/comments", json={"text": "x"}, headers=callers.other_resident
    )
    assert comment.status_code == 404
    upload = await client.post(
        f"{url}/photos",
        files={"files": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers=callers.other_resident,
    )
    assert upload.status_code == 404
    # Not confidential: its photo is public, like the complaint in the public feed.
    assert (await client.get(photo["url"], headers=callers.other_resident)).status_code == 200
    assert (await client.get(photo["url"])).status_code == 200


async def test_an_officer_of_another_agency_gets_404_for_everything(client, callers):
    complaint = await file_complaint(client, callers.resident)
    url = f"/api/v1/complaints/{complaint['id']}"
    assert (await client.get(url, headers=callers.waste_officer)).status_code == 404
    for action, body in STAFF_ACTIONS.items():
        response = await act(client, complaint, action, callers.waste_officer, **body)
        assert response.status_code == 404, action
    comment = await client.post(
        f"{url}/comments", json={"text": "x"}, headers=callers.waste_officer
    )
    assert comment.status_code == 404
    # Nothing happened to it.
    seen = (await client.get(url, headers=callers.road_officer)).json()
    assert (seen["status"], seen["assignee_id"]) == ("submitted", None)


async def test_residents_calling_officer_actions_get_403(client, callers):
    complaint = await file_complaint(client, callers.resident)
    for action, body in STAFF_ACTIONS.items():
        response = await act(client, complaint, action, callers.resident, **body)
        assert response.status_code == 403, action
        assert response.json()["code"] == "forbidden"
    queue = await client.get("/api/v1/complaints/queue", headers=callers.resident)
    assert queue.status_code == 403


async def test_staff_and_admins_calling_reporter_or_officer_actions_get_403(client, callers):
    complaint = await file_complaint(client, callers.resident)
    for action, body in REPORTER_ACTIONS.items():
        response = await act(client, complaint, action, callers.road_officer, **body)
        assert response.status_code == 403, action
    for action, body in STAFF_ACTIONS.items():
        assert (await act(client, complaint, action, callers.admin, **body)).status_code == 403
    mine = await client.get("/api/v1/complaints/mine", headers=callers.road_officer)
    assert mine.status_code == 403


async def test_anonymous_callers_are_asked_to_log_in(client, callers):
    complaint = await file_complaint(client, callers.resident)
    for action in [*STAFF_ACTIONS, *REPORTER_ACTIONS]:
        response = await act(client, complaint, action, {})
        assert response.status_code == 401, action
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("number", [0, 2**31, 10**30])
async def test_an_id_no_row_can_have_is_refused_with_the_field_at_fault(client, callers, number):
    # Past PostgreSQL's integer range the database refused the lookup (SQLite could not bind
    # it): a 500 instead of a clear answer.
    complaint = await file_complaint(client, callers.resident)
    for path, headers in [
        (f"/api/v1/public/complaints/{number}", {}),
        (f"/api/v1/complaints/{number}", callers.resident),
        (f"/api/v1/complaints/{complaint['id']}/photos/{number}/thumbnail", callers.resident),
    ]:
        response = await client.get(path, headers=headers)
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] in {"complaint_id", "photo_id"}
    assigned = await act(client, complaint, "assign", callers.road_supervisor, assignee_id=number)
    assert assigned.status_code == 422
    assert assigned.json()["errors"][0]["field"] == "assignee_id"

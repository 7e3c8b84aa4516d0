"""The public feed, map layer and nearby search: never confidential, never an anonymous name."""

import datetime as dt

import pytest

from backend.complaints.models import Complaint
from backend.pagination import encode_cursor
from tests.backend.complaints.complaint_helpers import (
    LATITUDE,
    LONGITUDE,
    WASTE,
    act,
    file_complaint,
)

FEED = "/api/v1/public/complaints"
MAP = "/api/v1/public/complaints/map"
NEARBY = "/api/v1/public/complaints/nearby"


async def _three_kinds(client, callers) -> tuple[dict, dict, dict]:
    named = await file_complaint(client, callers.other_resident, title="Lubang atas nama Budi")
    anonymous = await file_complaint(
        client, callers.resident, title="Lubang anonim", anonymous=True
    )
    confidential = await file_complaint(
        client, callers.resident, title="Rahasia sekali", confidential=True
    )
    return named, anonymous, confidential


async def test_the_feed_and_map_hide_confidential_complaints_and_anonymous_names(client, callers):
    named, anonymous, confidential = await _three_kinds(client, callers)

    feed = await client.get(FEED)
    assert feed.status_code == 200
    items = {item["id"]: item for item in feed.json()["items"]}
    assert list(items) == [anonymous["id"], named["id"]]  # newest first
    assert items[named["id"]]["reporter_name"] == "Budi Santoso"
    assert items[anonymous["id"]]["reporter_name"] is None
    # Siti filed the anonymous and the confidential one: neither her name nor the secret shows.
    for response in (feed, await client.get(MAP)):
        assert "Rahasia sekali" not in response.text
        assert "Siti" not in response.text and "Rahmawati" not in response.text

    geojson = (await client.get(MAP)).json()
    assert geojson["type"] == "FeatureCollection"
    assert {f["id"] for f in geojson["features"]} == {named["id"], anonymous["id"]}
    feature = geojson["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [LONGITUDE, LATITUDE]}
    assert set(feature["properties"]) >= {"tracking_number", "title", "category", "status"}

    detail = await client.get(f"{FEED}/{anonymous['id']}")
    assert detail.status_code == 200 and detail.json()["reporter_name"] is None
    assert (await client.get(f"{FEED}/{confidential['id']}")).status_code == 404


async def test_rejected_complaints_leave_the_public_side(client, callers):
    spam = await file_complaint(client, callers.resident, title="Jual obat murah")
    await act(client, spam, "reject", callers.road_officer, reason="spam", note="Iklan.")
    assert (await client.get(FEED)).json()["items"] == []
    assert (await client.get(f"{FEED}/{spam['id']}")).status_code == 404


async def test_feed_and_map_filters(client, callers, session):
    inside = await file_complaint(client, callers.resident)
    elsewhere = await file_complaint(
        client,
        callers.resident,
        latitude=-6.35,
        longitude=106.65,
        category=WASTE,
        answers={"jenis_lokasi": "tps"},
    )
    old = await file_complaint(client, callers.resident)
    row = session.get(Complaint, old["id"])
    row.created_at = dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC)
    session.add(row)
    session.commit()
    await act(client, inside, "verify", callers.road_officer)

    async def ids(url: str, **params) -> set[int]:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return {item["id"] for item in body.get("items", body.get("features", []))}

    box = f"{LONGITUDE - 0.01},{LATITUDE - 0.01},{LONGITUDE + 0.01},{LATITUDE + 0.01}"
    for url in (FEED, MAP):
        assert await ids(url, bbox=box) == {inside["id"], old["id"]}
        assert await ids(url, category=WASTE) == {elsewhere["id"]}
        assert await ids(url, status="verified") == {inside["id"]}
        assert await ids(url, until="2026-01-05") == {old["id"]}
        assert await ids(url, since="2026-01-06") == {inside["id"], elsewhere["id"]}
    bad = await client.get(FEED, params={"bbox": "1,2,3"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "bbox"


async def test_the_feed_pages_with_a_cursor(client, callers):
    ids = [(await file_complaint(client, callers.resident))["id"] for _ in range(3)]
    first = (await client.get(FEED, params={"limit": 2})).json()
    second = (await client.get(FEED, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


async def test_nearby_finds_open_public_complaints_of_the_category_within_the_radius(
    client, callers, session
):
    near = await file_complaint(client, callers.resident)  # at the point itself
    # About 100 m north: found. About 300 m north: outside the default 150 m.
    hundred = await file_complaint(client, callers.other_resident, latitude=LATITUDE + 0.0009)
    far = await file_complaint(client, callers.resident, latitude=LATITUDE + 0.0027)
    await file_complaint(client, callers.resident, confidential=True)
    await file_complaint(client, callers.resident, category=WASTE, answers={"jenis_lokasi": "tps"})
    stale = await file_complaint(client, callers.resident)
    row = session.get(Complaint, stale["id"])
    row.created_at = row.created_at - dt.timedelta(days=31)
    session.add(row)
    session.commit()
    finished = await file_complaint(client, callers.resident)
    await act(client, finished, "verify", callers.road_officer)
    await act(client, finished, "resolve", callers.road_officer, note="Selesai")

    params = {"category": "jalan-rusak", "latitude": LATITUDE, "longitude": LONGITUDE}
    found = (await client.get(NEARBY, params=params)).json()["items"]
    assert [item["id"] for item in found] == [near["id"], hundred["id"]]
    assert found[0]["distance_m"] == 0
    assert 90 < found[1]["distance_m"] < 110
    wider = (await client.get(NEARBY, params={**params, "radius_m": 400})).json()["items"]
    assert [item["id"] for item in wider] == [near["id"], hundred["id"], far["id"]]


async def test_nearby_tells_a_resident_which_are_theirs_and_which_they_support(client, callers):
    mine = await file_complaint(client, callers.other_resident)
    theirs = await file_complaint(client, callers.resident, latitude=LATITUDE + 0.0005)
    supported = await client.put(
        f"/api/v1/complaints/{theirs['id']}/support", headers=callers.other_resident
    )
    assert supported.status_code == 200, supported.text
    params = {"category": "jalan-rusak", "latitude": LATITUDE, "longitude": LONGITUDE}

    def marks(response) -> dict[int, tuple[bool, bool]]:
        return {i["id"]: (i["yours"], i["supported"]) for i in response.json()["items"]}

    as_budi = await client.get(NEARBY, params=params, headers=callers.other_resident)
    assert marks(as_budi) == {mine["id"]: (True, False), theirs["id"]: (False, True)}
    as_siti = await client.get(NEARBY, params=params, headers=callers.resident)
    assert marks(as_siti) == {mine["id"]: (False, False), theirs["id"]: (True, False)}
    anonymous = await client.get(NEARBY, params=params)
    assert marks(anonymous) == {mine["id"]: (False, False), theirs["id"]: (False, False)}


@pytest.mark.parametrize("values", [[2**63], [2**31], ["12"], [True], [None], [[1]], [{"id": 1}]])
async def test_the_feed_refuses_a_cursor_it_did_not_issue(client, callers, values):
    # These reached the database as they were: a 500 there (PostgreSQL refuses to compare an
    # integer column with text or past its range; neither engine binds a list).
    await file_complaint(client, callers.resident)
    response = await client.get(FEED, params={"cursor": encode_cursor(values)})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_the_feed_refuses_days_at_the_ends_of_the_calendar(client):
    # Their local midnight in UTC, or the day after, does not exist: it was a 500.
    for params, field in [({"since": "0001-01-01"}, "since"), ({"until": "9999-12-31"}, "until")]:
        response = await client.get(FEED, params=params)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field

"""Maps in the real app, headless, against the real server: choosing a report's location with a
pin, and the public map of reports. Without tiles (tests never fetch them) the map is a plain
background on which the pin and markers still move."""

import time

import httpx

from tests.mobile.helpers import POTHOLE

# A spot no other test files at, so the marker tapped is this report's.
SPOT = {"latitude": -6.3402, "longitude": 106.6611}


def test_the_location_is_chosen_with_a_pin_and_a_place_outside_the_city_is_refused(drive):
    seen = drive("map_picker")
    assert "Belum dipilih" in seen["form_before"]  # no default spot chosen for the resident
    assert "Geser pin atau ketuk peta di tempat masalahnya." in seen["picker"]
    # The city's centre (nothing chosen before), named by the pack's nearest district.
    assert "Dekat Pondok Aren · -6.29000, 106.71500" in seen["picker"]
    assert seen["dragged"].startswith("Dekat ")
    assert not seen["dragged"].endswith("-6.29000, 106.71500")
    assert seen["pin_follows"]
    assert seen["dragged"] in seen["form_after"]
    assert seen["reopened_at"] == seen["dragged"]  # the map opens where the pin was left
    assert seen["outside"]["screen"] == "location_picker"
    assert (
        "Titik ini di luar wilayah layanan kota. Pilih tempat di dalam kota."
        in seen["outside"]["drawn"]
    )


def test_the_public_map_shows_reports_with_their_status(api_server, drive):
    resident = api_server.account("resident")
    with httpx.Client(base_url=api_server.base_url) as http:
        token = http.post(
            "/api/v1/auth/token",
            data={"username": resident.username, "password": resident.password},
        ).json()["access_token"]
        filed = http.post(
            "/api/v1/complaints",
            json={**POTHOLE, **SPOT, "title": "Lubang di peta publik"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "peta-publik-1"},
        ).json()
        # The public layer is served from a cache at most 2 s behind: wait until it is there.
        deadline = time.monotonic() + 10
        while filed["tracking_number"] not in http.get("/api/v1/public/complaints/map").text:
            assert time.monotonic() < deadline, "the filed report never reached the map layer"
            time.sleep(0.2)
    seen = drive(
        "public_map",
        "--param",
        f"latitude={SPOT['latitude']}",
        "--param",
        f"longitude={SPOT['longitude']}",
        "--param",
        f"number={filed['tracking_number']}",
    )
    assert any(text.endswith("laporan di peta") for text in seen["drawn"])
    assert seen["marker_drawn"]
    assert seen["tint"] == [0.25, 0.32, 0.71, 1]  # "submitted", as the list badges
    assert "Lubang di peta publik" in seen["chosen"]
    assert f"{filed['tracking_number']} · Diajukan" in seen["chosen"]
    assert any(text.endswith("reports on the map") for text in seen["english"])
    assert seen["markers_after"] == seen["markers_before"]  # redrawn, not doubled

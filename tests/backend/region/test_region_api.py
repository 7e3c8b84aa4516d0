"""The public catalogue endpoints, their 404s and their HTTP caching."""

import re

import pytest

from backend.region import service
from backend.region.pack import parse_pack


@pytest.fixture
def loaded(session, demo_pack):
    service.load_pack(session, pack=demo_pack)
    session.commit()
    return demo_pack


async def test_region_is_public_and_cacheable(client, loaded):
    response = await client.get("/api/v1/region")
    assert response.status_code == 200
    region = response.json()
    assert region["code"] == "harapan-baru"
    assert region["name"] == {"id": "Kota Harapan Baru", "en": "Harapan Baru City"}
    assert region["time_zone"] == "Asia/Jakarta"
    assert region["bounding_box"] == {
        "min_lat": -6.37,
        "min_lon": 106.63,
        "max_lat": -6.21,
        "max_lon": 106.8,
    }
    assert (region["reopen_window_days"], region["verify_working_days"]) == (7, 3)
    # The districts the app names under a map pin.
    assert {"name": "Serpong", "latitude": -6.316, "longitude": 106.665} in region["places"]
    # The app's maps: the city's tile server and the credit it requires.
    assert region["map_tiles"] == {
        "url": "https://peta.harapanbaru.example/tiles/{z}/{x}/{y}.png",
        "attribution": "Peta © Pemkot Harapan Baru, data © kontributor OpenStreetMap",
        "max_zoom": 19,
    }
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["etag"].startswith('"')


async def test_matching_if_none_match_answers_304_without_a_body(client, loaded):
    etag = (await client.get("/api/v1/agencies")).headers["etag"]
    for header in (etag, f"W/{etag}", f'"something-else", {etag}', "*"):
        response = await client.get("/api/v1/agencies", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=300"
    stale = await client.get("/api/v1/agencies", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json()["items"]


async def test_etag_changes_when_the_pack_changes(client, session, tiny_data):
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    before = (await client.get("/api/v1/agencies/pu")).headers["etag"]
    assert (await client.get("/api/v1/agencies/pu")).headers["etag"] == before

    tiny_data["agencies"][0]["address"] = "Jl. Uji No. 99"
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    response = await client.get("/api/v1/agencies/pu", headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response.json()["address"] == "Jl. Uji No. 99"
    assert response.headers["etag"] != before


async def test_agencies_directory_and_detail(client, loaded):
    agencies = (await client.get("/api/v1/agencies")).json()["items"]
    assert [a["code"] for a in agencies] == [a.code for a in loaded.agencies]
    detail = (await client.get("/api/v1/agencies/dpmptsp")).json()
    assert detail["opening_hours"]["friday"] == [
        {"opens": "08:00:00", "closes": "11:30:00"},
        {"opens": "13:00:00", "closes": "16:30:00"},
    ]
    assert "sunday" not in detail["opening_hours"]
    assert detail["contacts"]["email"] == "dpmptsp@harapanbaru.go.id"


async def test_unknown_code_is_a_not_found_problem(client, loaded):
    for path in ("/api/v1/agencies/dinas-hantu", "/api/v1/permit-types/izin-hantu"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
        assert "etag" not in response.headers


async def test_nothing_loaded_yet(client):
    assert (await client.get("/api/v1/region")).status_code == 404
    assert (await client.get("/api/v1/complaint-categories")).status_code == 404
    assert (await client.get("/api/v1/agencies")).json() == {"items": []}


async def test_deactivated_items_disappear_from_the_catalogue(client, session, tiny_data):
    tiny_data["agencies"] = tiny_data["agencies"][:1]
    tiny_data["complaint_categories"] = tiny_data["complaint_categories"][:1]
    full = parse_pack(
        {
            **tiny_data,
            "agencies": [*tiny_data["agencies"], {**tiny_data["agencies"][0], "code": "lama"}],
        }
    )
    service.load_pack(session, pack=full)
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    assert [a["code"] for a in (await client.get("/api/v1/agencies")).json()["items"]] == ["pu"]
    assert (await client.get("/api/v1/agencies/lama")).status_code == 404


async def test_complaint_categories_carry_routing_deadlines_and_questions(client, loaded):
    categories = {
        c["code"]: c for c in (await client.get("/api/v1/complaint-categories")).json()["items"]
    }
    flooding = categories["banjir-drainase"]
    assert flooding["agency"] == {
        "code": "dbmsda",
        "name": {
            "id": "Dinas Bina Marga dan Sumber Daya Air (DBMSDA)",
            "en": "Roads and Water Resources Office",
        },
    }
    assert (flooding["verify_working_days"], flooding["follow_up_working_days"]) == (1, 3)
    assert (
        categories["sampah"]["verify_working_days"],
        categories["sampah"]["follow_up_working_days"],
    ) == (3, 5)
    depth = flooding["questions"][0]
    assert depth["code"] == "kedalaman_air" and depth["type"] == "choice" and depth["required"]
    assert [c["value"] for c in depth["choices"]] == ["semata-kaki", "selutut", "sepinggang"]


async def test_permit_type_shows_its_full_service_standard(client, loaded):
    listed = (await client.get("/api/v1/permit-types")).json()["items"]
    assert [p["code"] for p in listed] == [p.code for p in loaded.permit_types]
    reklame = (await client.get("/api/v1/permit-types/izin-reklame")).json()
    assert reklame == next(p for p in listed if p["code"] == "izin-reklame")
    assert reklame["agency"]["code"] == "dpmptsp"
    assert reklame["fee"] == 1500000 and reklame["fee_basis"]["id"].startswith("Pajak reklame")
    assert [s["code"] for s in reklame["steps"]] == ["verifikasi", "survei-lapangan", "keputusan"]
    assert reklame["steps"][-1]["role"] == "supervisor"
    assert (reklame["deadline_working_days"], reklame["validity_days"]) == (7, 365)
    assert reklame["renewable"] and reklame["public_register"]
    width = next(f for f in reklame["form"] if f["code"] == "lebar_m")
    assert width["validation"]["min_value"] == 0.5 and width["validation"]["max_value"] == 20
    npwp = next(f for f in reklame["form"] if f["code"] == "npwp")
    assert npwp["validation"]["pattern"] == "[0-9]{15,16}" and npwp["help"]["en"]
    photo = next(d for d in reklame["documents"] if d["code"] == "foto-lokasi")
    assert photo == {
        "code": "foto-lokasi",
        "label": {"id": "Foto lokasi", "en": "Photo of the site"},
        "required": True,
        "media_types": ["image/jpeg", "image/png"],
        "max_size_mb": 5,
    }
    pbg = (await client.get("/api/v1/permit-types/pbg")).json()
    assert pbg["validity_days"] is None and not pbg["renewable"]


async def test_openapi_documents_the_catalogue(client):
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/permit-types/{code}"]["get"]
    assert operation["operationId"] == "region-get_permit_type"
    assert {"200", "304", "404"} <= set(operation["responses"])
    listing = schema["paths"]["/api/v1/agencies"]["get"]
    assert listing["operationId"] == "region-list_agencies"


async def test_openapi_describes_opening_times_as_they_are_sent(client, loaded):
    # JSON Schema's "time" format requires a UTC offset: "08:00:00" failed its own schema.
    schema = (await client.get("/openapi.json")).json()
    period = schema["components"]["schemas"]["OpeningPeriod"]["properties"]
    detail = (await client.get("/api/v1/agencies/dpmptsp")).json()
    sent = detail["opening_hours"]["friday"][0]
    for name in ("opens", "closes"):
        assert "format" not in period[name]
        assert re.fullmatch(period[name]["pattern"], sent[name])

"""Open311 GeoReport v2 over a real server: every method in XML and JSON, checked against the
schema-validation project's schemas; a request filed through Open311, handled by an officer
and shown closed with its notes; errors as the specification's error list."""

import datetime as dt
from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import jsonschema
import pytest

from backend.demo_accounts import RESIDENT_PASSWORD
from tests.backend.complaints.complaint_helpers import LATITUDE, LONGITUDE, complaint_body
from tests.backend.integrations.integration_helpers import create_client, login, officer
from tests.backend.integrations.open311_schemas import REQUESTS, SERVICE_DEFINITION, SERVICES
from tests.live_server import LiveServer, live_server

V2 = "/open311/v2"
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("open311"), demo_content=False) as running:
        yield running


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def api_key(http) -> str:
    return create_client(http, "open311", name="FixMyStreet Harapan Baru")["client_secret"]


def xml_of(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def json_of(response: httpx.Response):
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def spark(element: ElementTree.Element):
    """XML to the JSON shape by the specification's convention (for comparing the formats)."""
    children = list(element)
    if not children:
        return element.text
    if len({child.tag for child in children}) == 1 and len(children) > 1 or element.tag in (
        "services", "attributes", "values", "service_requests", "errors", "endpoints", "formats",
    ):  # fmt: skip
        return [spark(child) for child in children]
    return {child.tag: spark(child) for child in children}


def check_requests(items: list[dict]) -> None:
    jsonschema.validate(items, REQUESTS)
    for item in items:
        for name in DATETIME_FIELDS:
            if item[name] is not None:  # full ISO 8601 with the region's offset
                assert dt.datetime.fromisoformat(item[name]).utcoffset() == dt.timedelta(hours=7)


def file(http, api_key: str, format: str = "json", **fields) -> httpx.Response:
    form = {
        "api_key": api_key,
        "service_code": "jalan-rusak",
        "lat": str(LATITUDE),
        "long": str(LONGITUDE),
        "address_string": "Jl. Melati No. 3",
        "description": "Lubang besar di depan sekolah, berbahaya bagi pengendara motor.",
        "attribute[ukuran_lubang]": "besar",
        "attribute[membahayakan]": "true",
        **fields,
    }
    return http.post(f"{V2}/requests.{format}", data=form)


def test_discovery_in_both_formats(http, server):
    as_json = json_of(http.get("/open311/discovery.json"))
    as_xml = xml_of(http.get("/open311/discovery.xml"))
    assert set(as_json) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = as_json["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert as_xml.tag == "discovery"
    assert [f.text for f in as_xml.find("endpoints/endpoint/formats")] == endpoint["formats"]


def test_services_and_definitions_in_both_formats(http):
    services = json_of(http.get(f"{V2}/services.json"))
    jsonschema.validate(services, SERVICES)
    xml_services = xml_of(
        http.get(f"{V2}/services.xml", params={"jurisdiction_id": "harapan-baru"})
    )
    assert [s.findtext("service_code") for s in xml_services] == [
        s["service_code"] for s in services
    ]
    road = next(s for s in services if s["service_code"] == "jalan-rusak")
    assert road["metadata"] is True and road["type"] == "realtime" and road["group"]

    definition = json_of(http.get(f"{V2}/services/jalan-rusak.json"))
    jsonschema.validate(definition, SERVICE_DEFINITION)
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["ukuran_lubang"]["datatype"] == "singlevaluelist"
    assert attributes["membahayakan"]["datatype"] == "singlevaluelist"  # a yes/no question
    assert [v["key"] for v in attributes["membahayakan"]["values"]] == ["true", "false"]
    assert [a["order"] for a in definition["attributes"]] == list(range(1, len(attributes) + 1))
    as_xml = xml_of(http.get(f"{V2}/services/jalan-rusak.xml"))
    assert as_xml.tag == "service_definition"
    assert spark(as_xml)["attributes"][0]["code"] == definition["attributes"][0]["code"]

    english = http.get(f"{V2}/services.json", headers={"Accept-Language": "en"}).json()
    assert (
        next(s for s in english if s["service_code"] == "jalan-rusak")["service_name"]
        != road["service_name"]
    )


@pytest.mark.parametrize("format", ["json", "xml"])
def test_errors_are_the_specifications_error_list(http, api_key, format):
    def error_of(response: httpx.Response, status: int) -> str:
        assert response.status_code == status
        if format == "xml":
            element = xml_of(response)
            assert element.tag == "errors" and element.findtext("error/code") == str(status)
            return element.findtext("error/description")
        body = json_of(response)
        assert body[0]["code"] == status
        return body[0]["description"]

    assert "service_code" in error_of(http.get(f"{V2}/services/no-such.{format}"), 404)
    assert "jurisdiction_id" in error_of(
        http.get(f"{V2}/services.{format}", params={"jurisdiction_id": "elsewhere.go.id"}), 404
    )
    assert "api_key" in error_of(file(http, "not-a-key", format), 403)
    unscoped = create_client(http, "complaints:write")["client_secret"]
    assert "api_key" in error_of(file(http, unscoped, format), 403)
    assert "service_code" in error_of(file(http, api_key, format, service_code=""), 400)
    assert "service_code" in error_of(file(http, api_key, format, service_code="nope"), 404)
    assert "lat" in error_of(file(http, api_key, format, lat="", long=""), 400)
    nul = file(http, api_key, format, description="Lubang besar\x00 di jalan raya")
    assert "description" in error_of(nul, 400)  # PostgreSQL cannot store U+0000
    assert "ukuran_lubang" in error_of(
        file(http, api_key, format, **{"attribute[ukuran_lubang]": "raksasa"}), 400
    )
    assert "90 days" in error_of(
        http.get(
            f"{V2}/requests.{format}",
            params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        ),
        400,
    )
    assert "start_date" in error_of(
        http.get(f"{V2}/requests.{format}", params={"start_date": "yesterday"}), 400
    )
    assert "service_request_id" in error_of(http.get(f"{V2}/requests/999999.{format}"), 404)


def test_a_request_filed_through_open311_is_handled_and_shown_closed_with_notes(http, api_key):
    filed = file(
        http,
        api_key,
        "xml",
        email="warga.pelapor@example.com",
        phone="081299998888",
        first_name="Rina",
        last_name="Pelapor",
        media_url="https://photos.example/lubang.jpg",
    )
    assert filed.status_code == 200, filed.text
    request_id = xml_of(filed).findtext("request/service_request_id")
    assert request_id.isdigit()

    # It is a complaint like any other: in the road agency's queue, handled there.
    roads = officer(http, "dbmsda")
    queue = http.get("/api/v1/complaints/queue", headers=roads).json()["items"]
    assert int(request_id) in [item["id"] for item in queue]
    actions = f"/api/v1/complaints/{request_id}/actions"
    assert http.post(f"{actions}/verify", json={}, headers=roads).status_code == 200
    as_open = json_of(http.get(f"{V2}/requests/{request_id}.json"))
    check_requests(as_open)
    assert as_open[0]["status"] == "open" and as_open[0]["expected_datetime"]
    resolved = http.post(
        f"{actions}/resolve", json={"note": "Lubang sudah ditambal hari ini."}, headers=roads
    )
    assert resolved.status_code == 200, resolved.text

    shown = json_of(http.get(f"{V2}/requests/{request_id}.json"))
    check_requests(shown)
    (request,) = shown
    assert request["status"] == "closed"
    assert request["status_notes"] == "Lubang sudah ditambal hari ini."
    assert request["service_code"] == "jalan-rusak"
    assert request["agency_responsible"]
    assert request["media_url"] == "https://photos.example/lubang.jpg"
    as_xml = spark(xml_of(http.get(f"{V2}/requests/{request_id}.xml")))[0]
    assert as_xml["status"] == "closed" and as_xml["status_notes"] == request["status_notes"]

    # The submitter's contact stays private: not in Open311, not in the public feed.
    listing = http.get(f"{V2}/requests.xml").text + http.get(f"{V2}/requests.json").text
    public = http.get("/api/v1/public/complaints").text
    for private in ("warga.pelapor@example.com", "081299998888", "Rina", "Pelapor"):
        assert private not in listing and private not in public


def test_requests_filters_and_confidential_complaints_are_absent(http, api_key):
    first = json_of(file(http, api_key))[0]["service_request_id"]
    second = json_of(file(http, api_key, description="Lubang kedua, dekat pasar tradisional."))[0][
        "service_request_id"
    ]
    siti = login(http, "siti@example.com", RESIDENT_PASSWORD)
    secret = http.post("/api/v1/complaints", json=complaint_body(confidential=True), headers=siti)
    hidden = str(secret.json()["id"])

    everything = json_of(http.get(f"{V2}/requests.json"))
    check_requests(everything)
    ids = [item["service_request_id"] for item in everything]
    assert first in ids and second in ids and hidden not in ids
    assert ids.index(second) < ids.index(first)  # newest first
    assert http.get(f"{V2}/requests/{hidden}.json").status_code == 404

    by_id = json_of(
        http.get(
            f"{V2}/requests.json",
            params={"service_request_id": f"{first},{hidden}", "status": "closed"},
        )
    )
    assert [item["service_request_id"] for item in by_id] == [first]  # ids override the rest
    other_service = http.get(f"{V2}/requests.json", params={"service_code": "sampah"}).json()
    assert first not in [item["service_request_id"] for item in other_service]
    open_ones = http.get(f"{V2}/requests.json", params={"status": "open"}).json()
    assert first in [item["service_request_id"] for item in open_ones]
    closed_ones = http.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert first not in [item["service_request_id"] for item in closed_ones]
    long_ago = http.get(
        f"{V2}/requests.json",
        params={"start_date": "2020-01-01T00:00:00+07:00", "end_date": "2020-02-01T00:00:00Z"},
    ).json()
    assert long_ago == []
    xml_list = spark(xml_of(http.get(f"{V2}/requests.xml", params={"service_request_id": first})))
    assert xml_list[0]["service_request_id"] == first


@pytest.mark.parametrize("format", ["json", "xml"])
def test_an_existing_open311_client_library_reads_the_server(server, http, api_key, format):
    # `georeport` (PyPI) is a GeoReport v2 client for US cities' 311 servers; it reads only.
    from georeport import GeoReport

    request_id = json_of(file(http, api_key))[0]["service_request_id"]
    city = GeoReport(
        f"{server.base_url}{V2}", jurisdiction="harapan-baru", api_key=api_key, output_format=format
    )
    assert "jalan-rusak" in [s["service_code"] for s in city.get_service_list()]
    assert city.get_service_definition("jalan-rusak")["service_code"] == "jalan-rusak"
    listed = city.get_service_requests(service_code="jalan-rusak", status="open")
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one item is no list
    assert request_id in [item["service_request_id"] for item in listed]
    one = city.get_service_request(request_id)
    assert (one["service_request_id"], one["status"]) == (request_id, "open")

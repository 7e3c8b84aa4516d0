"""Announcements, directory, service catalogue and pages: languages, caching, who may write."""

import datetime as dt
import io

from PIL import Image

from backend.db import utcnow
from backend.pagination import encode_cursor
from tests.backend.information.conftest import announcement_body

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


async def test_announcements_answer_in_the_readers_language(client, callers):
    created = await client.post(
        "/api/v1/announcements", json=announcement_body(), headers=callers.admin
    )
    assert created.status_code == 201, created.text

    indonesian = await client.get("/api/v1/announcements")
    english = await client.get("/api/v1/announcements", headers=ENGLISH)

    assert indonesian.headers["content-language"] == "id"
    assert english.headers["content-language"] == "en"
    assert "accept-language" in english.headers["vary"].lower()
    [item_id] = indonesian.json()["items"]
    [item_en] = english.json()["items"]
    assert item_id["title"] == "Perbaikan jalan Setu Raya"
    assert item_id["agency"]["name"].startswith("Dinas Bina Marga")
    assert item_en["title"] == "Repairs on Setu Raya road"
    assert item_en["agency"]["name"] == "Roads and Water Resources Office"
    assert indonesian.headers["etag"] != english.headers["etag"]


async def test_public_list_is_pinned_first_then_newest_and_pages_through_everything(
    client, callers
):
    now = utcnow()
    for hours_ago, pinned in ((5, False), (4, True), (3, False), (2, False), (1, False)):
        body = announcement_body(
            title={"id": f"Kabar {hours_ago}", "en": f"News {hours_ago}"},
            publish_at=_iso(now - dt.timedelta(hours=hours_ago)),
            pinned=pinned,
        )
        response = await client.post("/api/v1/announcements", json=body, headers=callers.admin)
        assert response.status_code == 201, response.text

    titles, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/announcements", params=params)).json()
        titles += [item["title"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert titles == ["Kabar 4", "Kabar 1", "Kabar 2", "Kabar 3", "Kabar 5"]


async def test_future_and_expired_announcements_are_not_public(client, callers):
    now = utcnow()
    scheduled = announcement_body(
        title={"id": "Nanti", "en": "Later"}, publish_at=_iso(now + dt.timedelta(days=1))
    )
    expired = announcement_body(
        title={"id": "Kedaluwarsa", "en": "Expired"},
        publish_at=_iso(now - dt.timedelta(days=2)),
        expires_at=_iso(now - dt.timedelta(days=1)),
    )
    current = announcement_body(title={"id": "Sekarang", "en": "Now"})
    ids = []
    for body in (scheduled, expired, current):
        response = await client.post("/api/v1/announcements", json=body, headers=callers.admin)
        ids.append(response.json()["id"])

    listed = (await client.get("/api/v1/announcements")).json()["items"]
    assert [item["title"] for item in listed] == ["Sekarang"]
    assert (await client.get(f"/api/v1/announcements/{ids[0]}")).status_code == 404
    assert (await client.get(f"/api/v1/announcements/{ids[2]}")).status_code == 200


async def test_filters_by_agency_category_and_local_date(client, callers):
    bodies = [
        announcement_body(category="news", title={"id": "Berita jalan", "en": "Road news"}),
        announcement_body(
            agency_code="dlh",
            category="event",
            title={"id": "Kerja bakti", "en": "Clean-up day"},
            # 23:30 UTC on 1 March is already 2 March in Jakarta.
            publish_at="2026-03-01T23:30:00Z",
        ),
    ]
    for body in bodies:
        response = await client.post("/api/v1/announcements", json=body, headers=callers.admin)
        assert response.status_code == 201, response.text

    async def titles(**params):
        response = await client.get("/api/v1/announcements", params=params)
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["items"]]

    assert await titles(agency="dlh") == ["Kerja bakti"]
    assert await titles(category="news") == ["Berita jalan"]
    assert await titles(since="2026-03-02", until="2026-03-02") == ["Kerja bakti"]
    assert await titles(until="2026-03-01") == []
    assert (await client.get("/api/v1/announcements", params={"agency": "nope"})).status_code == 404


async def test_supervisors_write_for_their_own_agency_only(client, callers):
    own = await client.post(
        "/api/v1/announcements",
        json=announcement_body(agency_code=None),
        headers=callers.road_supervisor,
    )
    assert own.status_code == 201, own.text
    assert own.json()["agency"]["code"] == "dbmsda"

    other = await client.post(
        "/api/v1/announcements",
        json=announcement_body(agency_code="dlh"),
        headers=callers.road_supervisor,
    )
    assert other.status_code == 403

    announcement_id = own.json()["id"]
    edit = {"pinned": True}
    path = f"/api/v1/announcements/{announcement_id}"
    assert (
        await client.patch(path, json=edit, headers=callers.waste_supervisor)
    ).status_code == 403
    assert (await client.patch(path, json=edit, headers=callers.road_supervisor)).status_code == 200
    assert (await client.patch(path, json=edit, headers=callers.admin)).status_code == 200

    for caller in (callers.resident, callers.road_officer):
        response = await client.post(
            "/api/v1/announcements", json=announcement_body(), headers=caller
        )
        assert response.status_code == 403
    assert (await client.delete(path, headers=callers.waste_supervisor)).status_code == 403
    assert (await client.delete(path, headers=callers.road_supervisor)).status_code == 204
    assert (await client.get(path)).status_code == 404


async def test_admin_must_name_the_agency_and_dates_must_be_in_order(client, callers):
    missing = await client.post(
        "/api/v1/announcements", json=announcement_body(agency_code=None), headers=callers.admin
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "agency_code"
    backwards = announcement_body(
        publish_at="2026-05-02T00:00:00Z", expires_at="2026-05-01T00:00:00Z"
    )
    response = await client.post("/api/v1/announcements", json=backwards, headers=callers.admin)
    assert response.status_code == 422


async def test_unchanged_content_is_304_and_a_change_changes_the_tag(client, callers):
    first = await client.get("/api/v1/services/izin-reklame")
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public")
    etag = first.headers["etag"]

    again = await client.get("/api/v1/services/izin-reklame", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    faq = {
        "question": {"id": "Berapa lama izin berlaku?", "en": "How long is the permit valid?"},
        "answer": {"id": "Satu tahun.", "en": "One year."},
    }
    added = await client.post("/api/v1/services/izin-reklame/faqs", json=faq, headers=callers.admin)
    assert added.status_code == 201, added.text

    changed = await client.get("/api/v1/services/izin-reklame", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["faqs"][0]["question"] == "Berapa lama izin berlaku?"

    for path in ("/api/v1/announcements", "/api/v1/directory", "/api/v1/pages"):
        response = await client.get(path)
        cached = await client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert cached.status_code == 304, path


async def test_catalogue_is_seeded_from_permit_types_and_complaint_categories(client, demo):
    services = (await client.get("/api/v1/services")).json()["items"]
    by_code = {service["code"]: service for service in services}

    permit = by_code["izin-reklame"]
    assert permit["permit_type_code"] == "izin-reklame"
    assert permit["agency"]["code"] == "dpmptsp"
    assert permit["requirements"] and permit["procedure"]
    assert permit["fee"].startswith("Rp 1.500.000")
    assert "hari kerja" in permit["time_limit"]

    complaint = by_code["aduan-jalan-rusak"]
    assert complaint["complaint_category_code"] == "jalan-rusak"
    assert complaint["fee"] == "Gratis, tanpa biaya"

    english = (await client.get("/api/v1/services/aduan-jalan-rusak", headers=ENGLISH)).json()
    assert english["name"] == "Report: Damaged road or pothole"
    assert english["fee"] == "Free of charge"

    directory = (await client.get("/api/v1/directory/dbmsda")).json()
    assert "aduan-jalan-rusak" in {service["code"] for service in directory["services"]}


async def test_admins_edit_the_catalogue_and_directory(client, callers):
    body = {
        "code": "legalisir-dokumen",
        "agency_code": "dpmptsp",
        "name": {"id": "Legalisir dokumen", "en": "Document legalisation"},
        "description": {"id": "Legalisir salinan dokumen.", "en": "Certified copies."},
        "requirements": [{"id": "Dokumen asli", "en": "The original document"}],
        "procedure": [{"id": "Datang ke loket", "en": "Come to the counter"}],
        "time_limit": {"id": "1 hari kerja", "en": "1 working day"},
        "fee": {"id": "Gratis", "en": "Free"},
        "output": {"id": "Salinan terlegalisir", "en": "Certified copy"},
        "complaints": {"id": "Lewat aplikasi Warga", "en": "Through the Warga app"},
    }
    assert (
        await client.post("/api/v1/services", json=body, headers=callers.resident)
    ).status_code == 403
    created = await client.post("/api/v1/services", json=body, headers=callers.admin)
    assert created.status_code == 201, created.text
    duplicate = await client.post("/api/v1/services", json=body, headers=callers.admin)
    assert duplicate.status_code == 422

    patch = {"fee": {"id": "Rp 5.000", "en": "IDR 5,000"}}
    updated = await client.patch(
        "/api/v1/services/legalisir-dokumen", json=patch, headers=ENGLISH | callers.admin
    )
    assert updated.json()["fee"] == "IDR 5,000"
    assert updated.headers["content-language"] == "en"

    hidden = await client.patch(
        "/api/v1/services/legalisir-dokumen", json={"active": False}, headers=callers.admin
    )
    assert hidden.status_code == 200
    assert (await client.get("/api/v1/services/legalisir-dokumen")).status_code == 404

    edit = {"address": "Jl. Baru No. 9", "contacts": {"phone": "(021) 555-0101"}}
    assert (
        await client.patch("/api/v1/directory/dbmsda", json=edit, headers=callers.road_supervisor)
    ).status_code == 403
    changed = await client.patch("/api/v1/directory/dbmsda", json=edit, headers=callers.admin)
    assert changed.status_code == 200, changed.text
    agency = (await client.get("/api/v1/directory/dbmsda")).json()
    assert agency["address"] == "Jl. Baru No. 9"
    assert agency["contacts"]["phone"] == "(021) 555-0101"


async def test_information_pages_in_both_languages(client, demo):
    pages = (await client.get("/api/v1/pages", headers=ENGLISH)).json()["items"]
    assert {"slug": "tentang", "title": "About Warga"} in pages
    about = await client.get("/api/v1/pages/tentang")
    assert about.json()["title"] == "Tentang Warga"
    assert about.headers["content-language"] == "id"
    assert (await client.get("/api/v1/pages/nope")).status_code == 404


def _photo_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), "orange")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # any tag: the stored image must carry none
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def test_announcement_image_is_checked_and_re_encoded(client, callers):
    created = await client.post(
        "/api/v1/announcements", json=announcement_body(), headers=callers.admin
    )
    path = f"/api/v1/announcements/{created.json()['id']}"
    assert (await client.get(f"{path}/image")).status_code == 404

    bogus = await client.put(
        f"{path}/image",
        files={"file": ("x.jpg", b"not an image", "image/jpeg")},
        headers=callers.admin,
    )
    assert bogus.status_code == 422

    uploaded = await client.put(
        f"{path}/image",
        files={"file": ("photo.jpg", _photo_with_exif(), "image/jpeg")},
        headers=callers.admin,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["image_url"] == f"{path}/image"

    image = await client.get(f"{path}/image")
    assert image.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(image.content)).getexif()
    again = await client.get(f"{path}/image", headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304
    assert (await client.get(f"{path}/image/thumbnail")).status_code == 200


async def test_ids_cursors_and_positions_the_database_cannot_hold_are_refused(client, callers):
    # Each failed on its way to the database: an id or position past PostgreSQL's integer, a
    # cursor time without an offset for a UTC column, a day at the end of the calendar.
    created = await client.post(
        "/api/v1/announcements", json=announcement_body(), headers=callers.admin
    )
    assert created.status_code == 201, created.text
    naive = encode_cursor([False, "2026-05-01T00:00:00", created.json()["id"]])
    too_early = encode_cursor([False, "0001-01-01T00:00:00+14:00", created.json()["id"]])
    faq = {"question": {"id": "Tanya?", "en": "Ask?"}, "answer": {"id": "Ya.", "en": "Yes."}}
    for method, url, body, field in [
        ("GET", f"/api/v1/announcements/{2**31}", None, "announcement_id"),
        ("DELETE", f"/api/v1/announcements/{2**31}", None, "announcement_id"),
        ("GET", f"/api/v1/announcements?cursor={naive}", None, "cursor"),
        ("GET", f"/api/v1/announcements?cursor={too_early}", None, "cursor"),
        ("PUT", f"/api/v1/faqs/{2**31}", faq, "faq_id"),
        ("POST", "/api/v1/services/izin-reklame/faqs", faq | {"position": 2**31}, "position"),
        # Dates and moments whose UTC equivalent (or next day) lies outside Python's range.
        ("GET", "/api/v1/announcements?since=0001-01-01", None, "since"),
        ("GET", "/api/v1/announcements?until=9999-12-31", None, "until"),
        (
            "POST",
            "/api/v1/announcements",
            announcement_body(publish_at="0001-01-01T00:00:00+14:00"),
            "publish_at",
        ),
    ]:
        response = await client.request(method, url, json=body, headers=callers.admin)
        assert response.status_code == 422, (method, url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field


async def test_opening_hours_with_a_utc_offset_are_refused(client, callers):
    # A number parses as a time at UTC; comparing it with a plain opening time raised a
    # TypeError, which pydantic does not turn into a validation error: a 500.
    for closes in (0, "16:00+07:00"):
        edit = {"opening_hours": {"monday": [{"opens": "07:30:00", "closes": closes}]}}
        response = await client.patch("/api/v1/directory/dbmsda", json=edit, headers=callers.admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "opening_hours.monday[0].closes"

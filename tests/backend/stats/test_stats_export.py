"""Open-data export: no personal data, CSV and JSON, 304, and flat memory over a large range."""

import csv
import datetime as dt
import io
import tracemalloc

from backend.complaints.service import clock_for
from backend.region.service import region_snapshot
from backend.stats import export
from backend.stats.sql import Sql
from tests.backend.stats.conftest import utc

YEAR = {"since": "2025-03-01", "until": "2026-02-28"}


def _seed_february(seeder) -> None:
    c = seeder.complaint_values
    seeder.complaints(
        [
            c(
                "jalan-rusak",
                created="2026-02-02T02:00",
                resolved="2026-02-04T02:00",
                due="2026-02-09",
                status="closed",
                rating=5,
            ),
            c("sampah", created="2026-02-03T02:00", due="2026-02-06"),
            c("sampah", created="2026-02-04T02:00", due="2026-02-09", confidential=True),
        ]
    )
    seeder.issued_permit("izin-reklame", issued="2026-02-10T03:00")


async def test_complaints_as_csv_without_personal_data(client, seeder):
    _seed_february(seeder)
    response = await client.get("/api/v1/open-data/complaints.csv", params=YEAR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2  # the confidential complaint is left out
    first = rows[0]
    assert first["category"] == "jalan-rusak"
    assert first["agency"] == "dbmsda"
    assert (first["status"], first["open311_status"]) == ("closed", "closed")
    assert (first["filed_on"], first["resolved_on"], first["due_on"]) == (
        "2026-02-02",
        "2026-02-04",
        "2026-02-09",
    )
    assert first["resolved_on_time"] == "True"
    assert (first["latitude"], first["longitude"]) == ("-6.3", "106.7")
    assert rows[1]["open311_status"] == "open"
    for private in ("Judul pribadi", "pelapor", "reporter", "title", "address"):
        assert private not in response.text


async def test_complaints_and_permits_as_json_and_304(client, seeder):
    _seed_february(seeder)
    complaints = await client.get("/api/v1/open-data/complaints.json", params=YEAR)
    assert [row["tracking_number"] for row in complaints.json()] == [
        "ADU-2026-000001",
        "ADU-2026-000002",
    ]
    again = await client.get(
        "/api/v1/open-data/complaints.json",
        params=YEAR,
        headers={"If-None-Match": complaints.headers["etag"]},
    )
    assert again.status_code == 304

    permits = await client.get("/api/v1/open-data/permits.json", params=YEAR)
    [permit] = permits.json()
    assert permit["permit_type"] == "izin-reklame"
    assert (permit["status"], permit["blds_status"]) == ("issued", "Permit Issued")
    assert "applicant" not in str(permit)

    seeder.issued_permit("izin-reklame", issued="2026-02-11T03:00")
    changed = await client.get(
        "/api/v1/open-data/permits.json",
        params=YEAR,
        headers={"If-None-Match": permits.headers["etag"]},
    )
    assert changed.status_code == 200
    assert len(changed.json()) == 2
    assert (await client.get("/api/v1/open-data/permits.xml", params=YEAR)).status_code == 422


def _export_peak(engine, session, format: str) -> tuple[int, int]:
    """(bytes written, peak traced memory) of exporting the year."""
    region = region_snapshot(session)
    now = utc("2026-03-01T00:00")
    chunks = export.export(
        engine,
        export.COMPLAINTS,
        format=format,
        sql=Sql(engine.dialect.name, region.time_zone),
        since=utc("2025-03-01T00:00"),
        until=utc("2026-03-01T00:00"),
        today=dt.date(2026, 3, 1),
        complaint_status=clock_for(session, now=now).status_column(now),
    )
    written = 0
    tracemalloc.start()
    try:
        for chunk in chunks:
            written += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return written, peak


def _seed_year(seeder, count: int) -> None:
    start = dt.datetime(2025, 3, 1, 2, tzinfo=dt.UTC)
    step = dt.timedelta(days=365) / count
    rows = []
    for number in range(count):
        created = (start + number * step).isoformat()[:16]
        rows.append(seeder.complaint_values("sampah", created=created, due="2026-03-01"))
        if len(rows) == 2000:
            seeder.complaints(rows)
            rows = []
    if rows:
        seeder.complaints(rows)


def test_export_streams_a_large_range_in_flat_memory(engine, session, seeder):
    _seed_year(seeder, 1_500)  # more than one fetch of rows, so the buffers are full
    small = {format: _export_peak(engine, session, format) for format in ("csv", "json")}
    _seed_year(seeder, 10_500)
    large = {format: _export_peak(engine, session, format) for format in ("csv", "json")}
    for format in ("csv", "json"):
        (small_bytes, small_peak), (large_bytes, large_peak) = small[format], large[format]
        assert large_bytes > 6 * small_bytes  # eight times the rows went out ...
        assert large_peak < small_peak + 256 * 1024  # ... through about the same memory
        assert large_peak < 2 * 1024 * 1024  # while several megabytes were written

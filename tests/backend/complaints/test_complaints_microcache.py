"""The microcache behind the public feed and map: fresh for changes this process makes, at most
its TTL behind changes made elsewhere, never a way for private data into a public answer."""

from sqlalchemy import text, update

from backend import microcache
from backend.complaints.models import Complaint
from backend.microcache import MicroCache
from tests.backend.complaints.complaint_helpers import act, file_complaint

FEED = "/api/v1/public/complaints"
MAP = "/api/v1/public/complaints/map"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _titles(response) -> list[str]:
    return [item["title"] for item in response.json()["items"]]


async def test_a_complaint_filed_through_the_api_is_public_at_once(client, callers):
    assert (await client.get(FEED)).json()["items"] == []  # cached now
    filed = await file_complaint(client, callers.resident, title="Lampu mati di gang")
    assert _titles(await client.get(FEED)) == ["Lampu mati di gang"]
    # The reporter sees it at once too (their own list is never cached).
    mine = await client.get("/api/v1/complaints/mine", headers=callers.resident)
    assert [item["id"] for item in mine.json()["items"]] == [filed["id"]]


async def test_an_action_through_the_api_changes_the_public_side_at_once(client, callers):
    spam = await file_complaint(client, callers.resident, title="Jual obat murah")
    assert _titles(await client.get(FEED)) == ["Jual obat murah"]
    assert len((await client.get(MAP)).json()["features"]) == 1
    await act(client, spam, "reject", callers.road_officer, reason="spam", note="Iklan.")
    assert (await client.get(FEED)).json()["items"] == []
    assert (await client.get(MAP)).json()["features"] == []


async def test_a_change_made_elsewhere_shows_within_the_ttl(app, client, callers, engine):
    clock = FakeClock()
    microcache.for_engine(app.state.engine).clock = clock
    filed = await file_complaint(client, callers.resident, title="Jalan berlubang")
    assert _titles(await client.get(FEED)) == ["Jalan berlubang"]

    # Another process (a second worker, the CLI) writes: this process is not told.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE complaint SET title = 'Jalan berlubang besar' WHERE id = :id"),
            {"id": filed["id"]},
        )
    clock.now += microcache.TTL_SECONDS / 2
    assert _titles(await client.get(FEED)) == ["Jalan berlubang"]  # the staleness allowed
    clock.now += microcache.TTL_SECONDS / 2
    assert _titles(await client.get(FEED)) == ["Jalan berlubang besar"]


async def test_a_bulk_update_through_a_session_drops_the_cached_feed(client, callers, session):
    filed = await file_complaint(client, callers.resident, title="Saluran mampet")
    assert _titles(await client.get(FEED)) == ["Saluran mampet"]
    session.execute(update(Complaint).where(Complaint.id == filed["id"]).values(title="Banjir"))
    session.commit()
    assert _titles(await client.get(FEED)) == ["Banjir"]


async def test_confidential_complaints_never_reach_the_cached_public_answers(client, callers):
    await file_complaint(client, callers.resident, title="Lubang di depan sekolah")
    anonymous_feed = await client.get(FEED)
    await file_complaint(client, callers.resident, title="Rahasia sekali", confidential=True)
    # Logged-in callers share the one public answer; it holds nothing private for any of them.
    for headers in ({}, callers.resident, callers.road_officer):
        for path in (FEED, MAP):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200
            assert "Rahasia sekali" not in response.text
    assert (await client.get(FEED)).json() == anonymous_feed.json()


async def test_etag_and_304_survive_the_cache(client, callers):
    await file_complaint(client, callers.resident, title="Pohon tumbang")
    first = await client.get(FEED)
    etag = first.headers["etag"]
    again = await client.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    await file_complaint(client, callers.resident, title="Pohon tumbang lagi")
    changed = await client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_errors_are_not_cached(client, demo):
    assert (await client.get(FEED, params={"cursor": "not-ours"})).status_code == 422
    assert (await client.get(FEED, params={"cursor": "not-ours"})).status_code == 422
    assert (await client.get(FEED)).status_code == 200


def test_a_value_built_before_a_write_is_not_kept():
    cache = MicroCache()
    generation = cache.generation
    cache.invalidate({"complaint"})  # committed while the value was being built
    cache.put("feed", b"old", tables={"complaint"}, generation=generation)
    assert cache.get("feed") is None


def test_only_entries_of_the_written_tables_are_dropped():
    cache = MicroCache()
    cache.put("feed", b"f", tables={"complaint"}, generation=cache.generation)
    cache.put("agencies", b"a", tables={"agency"}, generation=cache.generation)
    cache.invalidate({"complaint_supporter", "complaint"})
    assert cache.get("feed") is None and cache.get("agencies") == b"a"


def test_the_cache_stays_within_its_byte_budget():
    cache = MicroCache(max_bytes=800)
    for number in range(10):
        cache.put(number, b"x" * 100, tables=set(), generation=cache.generation, size=100)
    assert cache.get(0) is None and cache.get(1) is None  # least recently used went first
    assert all(cache.get(number) is not None for number in range(2, 10))
    cache.put("huge", b"x" * 500, tables=set(), generation=cache.generation, size=500)
    assert cache.get("huge") is None  # bigger than an eighth of the budget: not worth it


async def test_a_savepoint_does_not_count_as_the_commit(client, callers, session, demo):
    filed = await file_complaint(client, callers.resident, title="Trotoar rusak")
    assert _titles(await client.get(FEED)) == ["Trotoar rusak"]
    with session.begin_nested():
        session.execute(update(Complaint).where(Complaint.id == filed["id"]).values(title="X"))
    # Released, but not committed: the feed may be built again from what others see.
    assert _titles(await client.get(FEED)) == ["Trotoar rusak"]
    session.commit()
    assert _titles(await client.get(FEED)) == ["X"]

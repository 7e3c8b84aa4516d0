"""The region as one immutable snapshot: read once per engine, shared by every request and
thread, unchangeable by its callers, and replaced as soon as a pack load commits."""

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session

from backend.database import open_engine
from backend.region import service
from backend.region.pack import LocalizedText, RegionPack


def renamed(pack: RegionPack, name_en: str, *, day_off: dt.date | None = None) -> RegionPack:
    """The pack with another English city name (and, with `day_off`, one more local holiday)."""
    name = LocalizedText(id=pack.region.name.id, en=name_en)
    region = pack.region.model_copy(update={"name": name})
    overrides = list(pack.holiday_overrides)
    if day_off:
        extra = overrides[0].model_copy(update={"date": day_off, "is_holiday": True})
        overrides.append(extra)
    return pack.model_copy(update={"region": region, "holiday_overrides": overrides})


def test_callers_share_one_snapshot_and_cannot_change_it(demo, session):
    snapshot = service.region_snapshot(session)
    assert service.region_snapshot(session) is snapshot  # read once, then shared
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.time_zone = "UTC"
    with pytest.raises(TypeError):
        snapshot.map_tiles["url"] = "https://elsewhere.example/{z}/{x}/{y}.png"
    with pytest.raises(AttributeError):
        snapshot.extra_holidays.add(dt.date(2026, 12, 31))
    with pytest.raises(AttributeError):
        snapshot.languages.append("jv")
    snapshot.name.en = "Changed by a caller"  # a fresh text: the snapshot keeps its own
    assert service.region_snapshot(session).name.en == "Harapan Baru City"


async def test_a_pack_reload_is_seen_by_the_next_request(demo, client, settings, demo_pack):
    first = await client.get("/api/v1/region")
    assert first.json()["name"]["en"] == "Harapan Baru City"
    # The CLI or an admin's script reloads the pack through its own engine.
    engine = open_engine(settings.database_url)
    try:
        with Session(engine) as session:
            service.load_pack(session, pack=renamed(demo_pack, "New Harapan City"))
            session.commit()
    finally:
        engine.dispose()
    assert (await client.get("/api/v1/region")).json()["name"]["en"] == "New Harapan City"


def test_a_transaction_loading_a_pack_reads_its_own_region(demo, session, demo_pack):
    assert service.region_snapshot(session).name.en == "Harapan Baru City"  # now cached
    day_off = dt.date(2026, 12, 30)
    service.load_pack(session, pack=renamed(demo_pack, "New Harapan City", day_off=day_off))
    assert service.region_snapshot(session).name.en == "New Harapan City"  # not committed yet
    assert day_off in service.working_calendar(session, years=[2026]).holidays
    session.rollback()
    assert service.region_snapshot(session).name.en == "Harapan Baru City"

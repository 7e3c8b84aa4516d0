"""Loading packs into the database, reloading them, and the working-day calendar."""

import datetime as dt

import pytest
from sqlmodel import func, select

from backend.errors import NotFound
from backend.region import service
from backend.region.models import Agency, ComplaintCategory, HolidayOverride, PermitType
from backend.region.pack import RegionPackError, parse_pack


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_loading_twice_changes_nothing_the_second_time(session, demo_pack):
    first = service.load_pack(session, pack=demo_pack)
    session.commit()
    assert (first.region.created, first.agencies.created) == (1, len(demo_pack.agencies))
    assert first.permit_types.created == len(demo_pack.permit_types)
    rows = {model: count(session, model) for model in (Agency, ComplaintCategory, PermitType)}

    second = service.load_pack(session, pack=demo_pack)
    session.commit()
    assert second.agencies.unchanged == len(demo_pack.agencies)
    assert second.complaint_categories.unchanged == len(demo_pack.complaint_categories)
    assert second.permit_types.unchanged == len(demo_pack.permit_types)
    assert second.holiday_overrides.unchanged == len(demo_pack.holiday_overrides)
    assert "created" not in str(second) and "updated" not in str(second)
    assert {model: count(session, model) for model in rows} == rows


def test_reload_updates_rows_in_place(session, tiny_data):
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    before = service.get_agency_by_code(session, code="pu")
    original_id, original_stamp = before.id, before.updated_at

    tiny_data["agencies"][0]["name"]["en"] = "Public Works and Spatial Planning Office"
    report = service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()

    after = service.get_agency_by_code(session, code="pu")
    assert report.agencies.updated == 1 and report.agencies.unchanged == 1
    assert after.id == original_id
    assert after.name.en == "Public Works and Spatial Planning Office"
    assert after.updated_at >= original_stamp


def test_reload_without_an_agency_deactivates_it_and_keeps_the_row(session, tiny_data):
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    dlh_id = service.get_agency_by_code(session, code="dlh").id

    without_dlh = {
        **tiny_data,
        "agencies": tiny_data["agencies"][:1],
        "complaint_categories": tiny_data["complaint_categories"][:1],
    }
    report = service.load_pack(session, pack=parse_pack(without_dlh))
    session.commit()

    assert report.agencies.deactivated == 1 and report.complaint_categories.deactivated == 1
    kept = session.get(Agency, dlh_id)
    assert kept is not None and kept.active is False
    assert [a.code for a in service.list_agencies(session)] == ["pu"]
    assert [c.code for c in service.list_categories(session)] == ["jalan"]
    with pytest.raises(NotFound):
        service.get_agency_by_code(session, code="dlh")
    with pytest.raises(NotFound):
        service.category_snapshot(session, code="sampah")

    # Putting it back in the pack brings the same row back.
    report = service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    assert report.agencies.updated == 1
    assert service.get_agency_by_code(session, code="dlh").id == dlh_id


def test_holiday_overrides_missing_from_the_pack_are_deleted(session, tiny_data):
    service.load_pack(session, pack=parse_pack(tiny_data))
    tiny_data["holiday_overrides"] = tiny_data["holiday_overrides"][:1]
    report = service.load_pack(session, pack=parse_pack(tiny_data))
    assert report.holiday_overrides.deleted == 1
    assert session.exec(select(HolidayOverride.date)).all() == [dt.date(2026, 11, 26)]


def test_a_pack_for_another_region_is_refused(session, tiny_data, demo_pack):
    service.load_pack(session, pack=parse_pack(tiny_data))
    session.commit()
    with pytest.raises(RegionPackError) as caught:
        service.load_pack(session, pack=demo_pack)
    assert [path for path, _ in caught.value.problems] == ["region.code"]
    assert service.get_agency_by_code(session, code="dlh").active


def test_catalogue_reads_follow_pack_order_and_join_agencies(session, demo_pack):
    service.load_pack(session, pack=demo_pack)
    assert [a.code for a in service.list_agencies(session)] == [a.code for a in demo_pack.agencies]
    permit_types = service.list_permit_types(session)
    assert [p.code for p in permit_types] == [p.code for p in demo_pack.permit_types]
    sip = service.get_permit_type_by_code(session, code="sip-nakes")
    assert sip.agency.code == "dinkes"
    assert [step.role for step in sip.review_steps()] == ["officer", "officer", "supervisor"]
    assert sip.validity_days == 1825 and sip.fee_basis.en == "Free of charge."
    with pytest.raises(NotFound):
        service.get_permit_type_by_code(session, code="izin-hantu")


def test_category_deadlines_fall_back_to_the_regions(session, tiny_pack):
    service.load_pack(session, pack=tiny_pack)
    region = service.region_snapshot(session)
    road = service.category_snapshot(session, code="jalan")
    waste = service.category_snapshot(session, code="sampah")
    assert service.complaint_deadlines(region=region, category=road) == (3, 5)
    assert service.complaint_deadlines(region=region, category=waste) == (3, 2)


def test_the_region_before_any_pack_is_not_found(session):
    with pytest.raises(NotFound):
        service.region_snapshot(session)


def test_working_calendar_merges_national_holidays_and_the_packs_overrides(session, demo_pack):
    service.load_pack(session, pack=demo_pack)
    calendar = service.working_calendar(session, years=[2026, 2027])

    def works(day: str) -> bool:
        return calendar.is_working_day(dt.date.fromisoformat(day))

    assert not works("2026-08-17")  # Independence Day (national holiday)
    assert not works("2026-03-23")  # collective leave after Idul Fitri (cuti bersama)
    assert not works("2026-11-26")  # the city's anniversary (pack override)
    assert works("2026-12-24")  # national collective leave that the city works through
    assert works("2026-11-25")  # an ordinary Wednesday
    assert not works("2026-11-28")  # a Saturday
    assert not works("2027-11-26")  # overrides apply in every requested year
    # Thursday 2026-11-26 is skipped: 3 working days after Tuesday 24th is Monday 30th.
    assert calendar.add_working_days(dt.date(2026, 11, 24), 3) == dt.date(2026, 11, 30)


def test_working_calendar_outside_the_requested_years_ignores_overrides(session, demo_pack):
    service.load_pack(session, pack=demo_pack)
    calendar = service.working_calendar(session, years=[2027])
    assert dt.date(2026, 11, 26) not in calendar.holidays
    assert dt.date(2027, 11, 26) in calendar.holidays

"""The region-pack format: the demo pack is valid, and every bad pack names the bad field."""

import json
import re

import pytest
import yaml

from backend.config import PROJECT_ROOT
from backend.region.pack import (
    FieldType,
    RegionPackError,
    load_pack_file,
    parse_pack,
)
from shared.roles import Role


def problems_of(data) -> dict[str, str]:
    with pytest.raises(RegionPackError) as caught:
        parse_pack(data)
    return dict(caught.value.problems)


def test_demo_pack_describes_a_complete_city(demo_pack):
    assert demo_pack.region.time_zone == "Asia/Jakarta"
    assert demo_pack.region.bounding_box.contains(-6.29, 106.72)  # Tangerang Selatan
    assert len(demo_pack.agencies) >= 6
    assert len(demo_pack.complaint_categories) >= 8
    assert {"izin-reklame", "pbg", "sip-nakes", "rekomendasi-keramaian"} <= {
        p.code for p in demo_pack.permit_types
    }
    form_types = {field.type for p in demo_pack.permit_types for field in p.form}
    assert form_types == set(FieldType)
    for permit in demo_pack.permit_types:
        assert 2 <= len(permit.steps) <= 3
        assert permit.steps[-1].role == Role.SUPERVISOR
    by_code = {p.code: p for p in demo_pack.permit_types}
    assert by_code["pbg"].validity_days is None and not by_code["pbg"].renewable
    assert by_code["sip-nakes"].fee == 0 and by_code["izin-reklame"].fee > 0
    assert len(demo_pack.information_pages) >= 3


def test_the_documented_example_is_a_valid_pack():
    text = (PROJECT_ROOT / "docs" / "region-pack.md").read_text(encoding="utf-8")
    example = re.search(r"### Example\n\n```yaml\n(.*?)```", text, re.DOTALL).group(1)
    assert parse_pack(yaml.safe_load(example)).permit_types[0].code == "izin-tebang-pohon"


def test_tiny_pack_fills_in_defaults(tiny_pack):
    region = tiny_pack.region
    assert (region.reopen_window_days, region.verify_working_days) == (7, 3)
    assert region.follow_up_working_days == 5
    assert region.languages == ["id", "en"]
    friday = tiny_pack.agencies[0].opening_hours["friday"]
    assert [(p.opens.hour, p.closes.hour) for p in friday] == [(8, 11), (13, 16)]
    assert tiny_pack.holiday_overrides[0].is_holiday is True


def test_unknown_agency_in_a_category_is_named_by_path(tiny_data):
    tiny_data["complaint_categories"][1]["agency"] = "dinas-hantu"
    problems = problems_of(tiny_data)
    assert problems == {"complaint_categories[1].agency": "unknown agency 'dinas-hantu'"}


def test_unknown_agency_of_a_permit_type(tiny_data):
    tiny_data["permit_types"][0]["agency"] = "dinas-hantu"
    assert list(problems_of(tiny_data)) == ["permit_types[0].agency"]


def test_bad_regular_expression_is_named_by_path(tiny_data):
    tiny_data["permit_types"][0]["form"][0]["validation"]["pattern"] = "[A-Z"
    problems = problems_of(tiny_data)
    assert list(problems) == ["permit_types[0].form[0].validation.pattern"]
    assert (
        "not a valid regular expression" in problems["permit_types[0].form[0].validation.pattern"]
    )


def test_duplicate_codes_point_at_the_repeat(tiny_data):
    tiny_data["agencies"][1]["code"] = "pu"
    tiny_data["complaint_categories"][1]["agency"] = "pu"
    tiny_data["permit_types"][0]["form"][1]["code"] = "nama"
    tiny_data["permit_types"][0]["steps"][1]["code"] = "verifikasi"
    tiny_data["holiday_overrides"][1]["date"] = tiny_data["holiday_overrides"][0]["date"]
    assert set(problems_of(tiny_data)) == {
        # Problems inside a permit type are found first; the pack-wide ones after they are fixed.
        "permit_types[0].form[1].code",
        "permit_types[0].steps[1].code",
    }
    tiny_data["permit_types"][0]["form"][1]["code"] = "lebar_m"
    tiny_data["permit_types"][0]["steps"][1]["code"] = "keputusan"
    assert set(problems_of(tiny_data)) == {"agencies[1].code", "holiday_overrides[1].date"}


def test_bad_time_zone(tiny_data):
    tiny_data["region"]["time_zone"] = "Asia/Harapan"
    assert problems_of(tiny_data) == {
        "region.time_zone": "unknown time zone 'Asia/Harapan'; "
        "use an IANA name such as Asia/Jakarta"
    }


def test_wrong_value_type_and_misspelt_key(tiny_data):
    tiny_data["permit_types"][0]["deadline_working_days"] = "lima"
    tiny_data["agencies"][0]["adress"] = "typo"
    problems = problems_of(tiny_data)
    assert set(problems) == {"permit_types[0].deadline_working_days", "agencies[0].adress"}
    assert "valid integer" in problems["permit_types[0].deadline_working_days"]
    assert "not permitted" in problems["agencies[0].adress"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["region"].update(languages=["id", "id"]), "region.languages"),
        (lambda d: d["region"]["bounding_box"].update(min_lat=-6.1), "region.bounding_box"),
        (
            lambda d: d["region"].update(
                map_tiles={"url": "https://t.example/{z}/{x}.png", "attribution": "Peta kota"}
            ),
            "region.map_tiles.url",
        ),
        (
            lambda d: d["region"].update(
                map_tiles={"url": "ftp://t.example/{z}/{x}/{y}.png", "attribution": "Peta kota"}
            ),
            "region.map_tiles.url",
        ),
        (
            lambda d: d["region"].update(
                places=[
                    {"name": "Serpong", "latitude": -6.316, "longitude": 106.665},
                    {"name": "Bogor", "latitude": -6.595, "longitude": 106.816},
                ]
            ),
            "region.places[1]",
        ),
        (
            lambda d: d["region"].update(
                places=[{"name": "Setu", "latitude": -6.342, "longitude": 106.678}] * 2
            ),
            "region.places[1].name",
        ),
        (
            lambda d: d["agencies"][0]["opening_hours"].update(monday="16:00-08:00"),
            "agencies[0].opening_hours.monday[0]",
        ),
        (
            lambda d: d["agencies"][0]["opening_hours"].update(monday="08:00-12:00, 11:00-15:00"),
            "agencies[0].opening_hours.monday[1]",
        ),
        (
            lambda d: d["agencies"][0]["opening_hours"].update(caturday="08:00-12:00"),
            "agencies[0].opening_hours.caturday",
        ),
        (
            lambda d: d["agencies"][0]["contacts"].update(email="pu-at-kota"),
            "agencies[0].contacts.email",
        ),
        (
            lambda d: d["complaint_categories"][0]["questions"][0].update(choices=[]),
            "complaint_categories[0].questions[0].choices",
        ),
        (
            lambda d: d["complaint_categories"][0]["questions"][0].update(type="nik", choices=[]),
            "complaint_categories[0].questions[0].type",
        ),
        (
            lambda d: d["permit_types"][0]["form"][0]["validation"].update(max_length=2),
            "permit_types[0].form[0].validation.max_length",
        ),
        (
            lambda d: d["permit_types"][0]["form"][1]["validation"].update(pattern="[0-9]+"),
            "permit_types[0].form[1].validation.pattern",
        ),
        (
            lambda d: d["permit_types"][0]["steps"][0].update(role="resident"),
            "permit_types[0].steps[0].role",
        ),
        (
            lambda d: d["permit_types"][0].update(deadline_working_days=2),
            "permit_types[0].deadline_working_days",
        ),
        (lambda d: d["permit_types"][0].update(validity_days=None), "permit_types[0].renewable"),
        (
            lambda d: d["permit_types"][0]["documents"][0].update(media_types=["image/gif"]),
            "permit_types[0].documents[0].media_types[0]",
        ),
        (lambda d: d["permit_types"][0].update(fee=-1), "permit_types[0].fee"),
        (
            lambda d: d["information_pages"][0].update(slug="Tentang Kami"),
            "information_pages[0].slug",
        ),
    ],
)
def test_each_rule_reports_the_exact_path(tiny_data, change, path):
    change(tiny_data)
    assert list(problems_of(tiny_data)) == [path]


def test_unsupported_format_version_is_reported_alone(tiny_data):
    tiny_data["format_version"] = 2
    tiny_data["agencies"] = "not even a list"
    problems = problems_of(tiny_data)
    assert list(problems) == ["format_version"]
    assert "unsupported format_version 2" in problems["format_version"]


def test_yaml_syntax_error_gives_the_line(tmp_path):
    pack = tmp_path / "broken.yaml"
    pack.write_text("format_version: 1\nregion:\n  code: [unclosed\n  name: x\n", encoding="utf-8")
    with pytest.raises(RegionPackError) as caught:
        load_pack_file(pack)
    [(path, message)] = caught.value.problems
    assert path == "" and message.startswith("invalid YAML at line 4")


def test_repeated_yaml_key_is_an_error_not_an_overwrite(tmp_path):
    pack = tmp_path / "twice.yaml"
    pack.write_text("format_version: 1\npack_version: a\npack_version: b\n", encoding="utf-8")
    with pytest.raises(RegionPackError) as caught:
        load_pack_file(pack)
    [(_, message)] = caught.value.problems
    assert "line 3" in message and "duplicate key 'pack_version' (first at line 2)" in message


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(RegionPackError, match="file not found"):
        load_pack_file(tmp_path / "absent.yaml")
    (tmp_path / "pack.toml").write_text("x = 1", encoding="utf-8")
    with pytest.raises(RegionPackError, match=r"\.yaml, \.yml or \.json"):
        load_pack_file(tmp_path / "pack.toml")


def test_json_pack_loads_and_reports_syntax_errors_with_line(tmp_path, tiny_data):
    good = tmp_path / "pack.json"
    good.write_text(json.dumps(tiny_data, default=str, indent=2), encoding="utf-8")
    assert load_pack_file(good).region.code == "kota-uji"
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "format_version": 1,\n}', encoding="utf-8")
    with pytest.raises(RegionPackError, match="invalid JSON at line 3"):
        load_pack_file(bad)


def test_error_text_lists_every_problem(tiny_data):
    tiny_data["complaint_categories"][0]["agency"] = "x"
    tiny_data["complaint_categories"][1]["agency"] = "y"
    with pytest.raises(RegionPackError) as caught:
        parse_pack(tiny_data, source="kota-uji.yaml")
    assert str(caught.value).splitlines() == [
        "region pack kota-uji.yaml is invalid:",
        "  complaint_categories[0].agency: unknown agency 'x'",
        "  complaint_categories[1].agency: unknown agency 'y'",
    ]

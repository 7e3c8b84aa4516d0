import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import ErrorCode
from shared.validators import (
    EARTH_RADIUS_M,
    PROVINCE_CODES,
    BoundingBox,
    InvalidValue,
    NikInfo,
    haversine_m,
    normalize_phone,
    validate_coordinates,
    validate_nik,
)

# Phone numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("(0812) 3456.7890", "+6281234567890"),
        ("+62 (0) 812-3456-7890", "+6281234567890"),
        ("  0812 3456 7890\n", "+6281234567890"),
        ("0811-234-567", "+62811234567"),  # shortest: 9-digit national number
        ("0856-1234-56789", "+62856123456789"),  # longest: 12 digits
        ("+62 895 1234 5678", "+6289512345678"),
    ],
)
def test_normalize_phone_accepts_common_ways_of_writing_a_mobile_number(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+62",
        "021-5555-1234",  # Jakarta landline
        "+62 21 5555 1234",
        "0800-1-234-567",  # toll-free service number
        "0812-34AB-7890",
        "0812-345",
        "081-2345-67",  # 8 digits
        "0812-3456-7890-12",  # 13 digits
        "+1 812 345 6789",  # foreign country code
        "+0812-3456-7890",
        "00812-3456-7890",
        "０８１２３４５６７８９０",  # full-width digits
    ],
)
def test_normalize_phone_rejects_anything_but_an_indonesian_mobile_number(raw):
    with pytest.raises(InvalidValue) as caught:
        normalize_phone(raw)
    assert caught.value.code is ErrorCode.INVALID_PHONE


national_numbers = st.from_regex(r"8[1-9][0-9]{7,10}", fullmatch=True)
prefixes = st.sampled_from(["", "0", "62", "+62", "+62 ", "+62 (0)", "62-0"])
separators = st.sampled_from(["", " ", "-", ".", " - "])


@given(national_numbers, prefixes, separators, st.integers(min_value=1, max_value=4))
def test_normalize_phone_round_trips_any_formatting(national, prefix, separator, group):
    written = prefix + separator.join(
        national[i : i + group] for i in range(0, len(national), group)
    )
    normalized = normalize_phone(written)
    assert normalized == "+62" + national
    assert normalize_phone(normalized) == normalized


def test_invalid_value_speaks_both_languages():
    with pytest.raises(InvalidValue) as caught:
        normalize_phone("12345")
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error) == error.detail_en == error.detail("en")
    assert error.detail() == error.detail_id != error.detail_en


# NIK ---------------------------------------------------------------------------------------------

TODAY = date(2026, 5, 1)


def make_nik(
    birth: date,
    sex: str = "M",
    *,
    province: str = "36",
    regency: str = "74",
    district: str = "05",
    serial: str = "0001",
) -> str:
    day = birth.day + (40 if sex == "F" else 0)
    return f"{province}{regency}{district}{day:02d}{birth:%m%y}{serial}"


def test_validate_nik_decodes_a_man():
    assert validate_nik("3201011203850001", today=TODAY) == NikInfo(
        nik="3201011203850001",
        province_code="32",
        regency_code="01",
        district_code="01",
        birth_date=date(1985, 3, 12),
        sex="M",
        serial="0001",
    )


def test_validate_nik_decodes_a_woman_from_the_day_plus_40():
    info = validate_nik("3674055203850002", today=TODAY)
    assert (info.sex, info.birth_date) == ("F", date(1985, 3, 12))


def test_validate_nik_ignores_spaces():
    assert validate_nik(" 3201 0112 0385 0001 ", today=TODAY).nik == "3201011203850001"


@pytest.mark.parametrize(
    ("ddmmyy", "born"),
    [
        ("010120", date(2020, 1, 1)),  # a child
        ("010426", date(2026, 4, 1)),  # a baby born this year
        ("010526", date(2026, 5, 1)),  # born today
        ("020526", date(1926, 5, 2)),  # "26" after today cannot be this year: 99 years old
        ("311227", date(1927, 12, 31)),
        ("290200", date(2000, 2, 29)),  # 2000 was a leap year
    ],
)
def test_validate_nik_reads_the_year_as_the_latest_one_not_in_the_future(ddmmyy, born):
    info = validate_nik(f"320101{ddmmyy}0001", today=TODAY)
    assert info.birth_date == born
    assert info.birth_date <= TODAY


@pytest.mark.parametrize(
    ("nik", "reason"),
    [
        ("320101120385000", "16 digits"),
        ("32010112038500011", "16 digits"),
        ("32010112038500A1", "16 digits"),
        ("", "16 digits"),
        ("9901011203850001", "province"),
        ("2001011203850001", "province"),
        ("3200011203850001", "regency"),
        ("3201001203850001", "district"),
        ("3201011203850000", "serial"),
        ("3201013203850001", "not a real date"),  # day 32
        ("3201010003850001", "not a real date"),  # day 0
        ("3201014003850001", "not a real date"),  # a woman born on day 0
        ("3201017203850001", "not a real date"),  # a woman born on day 32
        ("3201011213850001", "not a real date"),  # month 13
        ("3201013102850001", "not a real date"),  # 31 February
        ("3201012902010001", "not a real date"),  # 2001 was not a leap year
    ],
)
def test_validate_nik_rejects_with_a_specific_reason(nik, reason):
    with pytest.raises(InvalidValue) as caught:
        validate_nik(nik, today=TODAY)
    assert caught.value.code is ErrorCode.INVALID_NIK
    assert reason in caught.value.detail_en
    assert caught.value.detail_id.startswith("NIK tidak valid")


def test_validate_nik_accepts_every_province_code():
    for province in PROVINCE_CODES:
        assert validate_nik(make_nik(date(1990, 1, 1), province=province), today=TODAY)


# Any birth date from just under 100 years ago up to today is encoded unambiguously.
births = st.dates(
    min_value=date(TODAY.year - 100, TODAY.month, TODAY.day) + timedelta(days=1), max_value=TODAY
)


def codes(width: int) -> st.SearchStrategy[str]:
    """Zero-padded numbers that are not all zeros."""
    return st.integers(min_value=1, max_value=10**width - 1).map(lambda n: f"{n:0{width}d}")


@given(
    births,
    st.sampled_from(["F", "M"]),
    st.sampled_from(sorted(PROVINCE_CODES)),
    codes(2),
    codes(2),
    codes(4),
)
def test_validate_nik_decodes_what_was_encoded(born, sex, province, regency, district, serial):
    nik = make_nik(born, sex, province=province, regency=regency, district=district, serial=serial)
    assert validate_nik(nik, today=TODAY) == NikInfo(
        nik, province, regency, district, born, sex, serial
    )


# Coordinates -------------------------------------------------------------------------------------


def test_validate_coordinates_returns_floats():
    assert validate_coordinates(-6.2886, 106.7179) == (-6.2886, 106.7179)
    lat, lon = validate_coordinates(0, 180)
    assert (lat, lon) == (0.0, 180.0)
    assert isinstance(lat, float) and isinstance(lon, float)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (math.nan, 106.7),
        (-6.2, math.inf),
        (90.0001, 0),
        (-91, 0),
        (0, 180.5),
        (0, -181),
        ("-6.2", 106.7),
        (True, 106.7),
        (None, None),
    ],
)
def test_validate_coordinates_rejects_non_numbers_and_out_of_range(lat, lon):
    with pytest.raises(InvalidValue) as caught:
        validate_coordinates(lat, lon)
    assert caught.value.code is ErrorCode.INVALID_COORDINATES


TANGSEL = BoundingBox(min_lat=-6.37, min_lon=106.63, max_lat=-6.22, max_lon=106.77)


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (-6.29, 106.71, True),
        (-6.37, 106.63, True),  # corner
        (-6.22, 106.77, True),  # opposite corner
        (-6.175, 106.827, False),  # Monas, Jakarta: north-east of the box
        (-6.29, 106.62, False),  # just west
        (-6.38, 106.71, False),  # just south
        (6.29, 106.71, False),  # mirrored across the equator
    ],
)
def test_bounding_box_contains(lat, lon, inside):
    assert TANGSEL.contains(lat, lon) is inside


def test_bounding_box_refuses_swapped_corners():
    with pytest.raises(InvalidValue):
        BoundingBox(min_lat=-6.22, min_lon=106.63, max_lat=-6.37, max_lon=106.77)
    with pytest.raises(InvalidValue):
        BoundingBox(min_lat=-6.37, min_lon=106.77, max_lat=-6.22, max_lon=106.63)


def test_haversine_known_distances():
    assert haversine_m(-6.2, 106.8, -6.2, 106.8) == 0
    # One degree of latitude and a quarter of the equator, from the sphere's radius.
    assert haversine_m(0, 0, 1, 0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180)
    assert haversine_m(0, 0, 0, 90) == pytest.approx(EARTH_RADIUS_M * math.pi / 2)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(EARTH_RADIUS_M * math.pi)
    # Antipodes where rounding pushes the haversine term just above 1.
    lat, lon = 69.51232454868148, 86.5812282599507
    assert haversine_m(lat, lon, -lat, lon - 180) == pytest.approx(EARTH_RADIUS_M * math.pi)
    # Monas (Jakarta) to Gedung Sate (Bandung) is about 119 km as the crow flies.
    assert haversine_m(-6.1754, 106.8272, -6.9025, 107.6188) == pytest.approx(119_000, rel=0.02)


coordinates = st.tuples(
    st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180)
)


@given(coordinates, coordinates)
def test_haversine_is_symmetric_and_bounded(a, b):
    distance = haversine_m(*a, *b)
    assert distance == pytest.approx(haversine_m(*b, *a), abs=1e-6)
    assert 0 <= distance <= EARTH_RADIUS_M * math.pi + 1e-6

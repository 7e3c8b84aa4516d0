"""Validators for Indonesian identity data and locations.

Each validator either returns a normalised value or raises `InvalidValue`, which carries a stable
error code and a reason in both app languages, so the backend can answer with a precise problem
response and the app can show the same reason before anything is sent.
"""

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.errors import ErrorCode, localize


class InvalidValue(ValueError):
    """A value failed validation; `str(exc)` is the English detail."""

    def __init__(self, code: ErrorCode, detail_id: str, detail_en: str) -> None:
        super().__init__(detail_en)
        self.code = code
        self.detail_id = detail_id
        self.detail_en = detail_en

    def detail(self, lang: str = "id") -> str:
        """The reason in `lang` ("id" or "en")."""
        return localize((self.detail_id, self.detail_en), lang)


# Separators people type inside a number: "0812-3456-7890", "+62 (812) 3456.7890".
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
# Optional country code (+62 or 62), optional trunk "0", then the national significant number of
# a mobile line: "8", a second digit 1-9 (080x are toll-free and premium-rate services, not
# phones) and 7-10 more digits, i.e. 9-12 digits in all. Landlines start with 2-7 instead of 8.
_MOBILE = re.compile(r"(?:\+?62)?0?(?P<national>8[1-9][0-9]{7,10})")


def normalize_phone(raw: str) -> str:
    """Return an Indonesian mobile number in E.164 form, e.g. "0812-3456-7890" -> "+6281234567890".

    Mobile only, because the number is used for SMS and WhatsApp notifications.
    """
    match = _MOBILE.fullmatch(_PHONE_SEPARATORS.sub("", raw))
    if match is None:
        raise InvalidValue(
            ErrorCode.INVALID_PHONE,
            "Masukkan nomor HP Indonesia, misalnya 0812-3456-7890.",
            "Enter an Indonesian mobile number such as 0812-3456-7890.",
        )
    return "+62" + match["national"]


# The first two NIK digits: the union of the Home Affairs ministry's (Kemendagri) and BPS's
# numberings, which differ for the Papua provinces split in 2022; older NIKs keep their old code.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96", "97",
    }
)  # fmt: skip

# Women's NIKs carry the birth day plus 40.
_FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class NikInfo:
    """What a valid NIK encodes; `nik` is the normalised 16-digit form to store."""

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: Literal["F", "M"]
    serial: str


def _invalid_nik(reason_id: str, reason_en: str) -> InvalidValue:
    return InvalidValue(
        ErrorCode.INVALID_NIK, f"NIK tidak valid: {reason_id}.", f"Invalid NIK: {reason_en}."
    )


def validate_nik(nik: str, *, today: date | None = None) -> NikInfo:
    """Check the structure of a NIK and decode it.

    Layout: province (2) + regency/city (2) + district (2) + birth date DDMMYY, with 40 added to
    the day for women (6) + serial (4). The two-digit year is read as the most recent year that
    does not put the birth after `today`, so the holder is always 0-99 years old; a centenarian's
    NIK still validates, with the birth date a century late. Whitespace is ignored.
    """
    today = today or date.today()
    nik = "".join(nik.split())
    if not re.fullmatch(r"[0-9]{16}", nik):
        raise _invalid_nik("harus 16 digit angka", "it must be exactly 16 digits")
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    serial = nik[12:16]
    if province not in PROVINCE_CODES:
        raise _invalid_nik(
            f"kode provinsi {province} tidak dikenal", f"unknown province code {province}"
        )
    if regency == "00":
        raise _invalid_nik(
            "kode kabupaten/kota tidak boleh 00", "the regency/city code cannot be 00"
        )
    if district == "00":
        raise _invalid_nik("kode kecamatan tidak boleh 00", "the district code cannot be 00")
    if serial == "0000":
        raise _invalid_nik("nomor urut tidak boleh 0000", "the serial number cannot be 0000")

    sex: Literal["F", "M"] = "F" if day > _FEMALE_DAY_OFFSET else "M"
    if sex == "F":
        day -= _FEMALE_DAY_OFFSET
    year += today.year - today.year % 100
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise _invalid_nik(
            "tanggal lahir tidak ada di kalender", "the birth date is not a real date"
        ) from None
    return NikInfo(nik, province, regency, district, birth_date, sex, serial)


# Mean Earth radius (IUGG), good to about 0.5 % anywhere, which is plenty for "how far away".
EARTH_RADIUS_M = 6_371_008.8


def validate_coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    """Return (latitude, longitude) as floats if they are finite WGS 84 degrees in range."""
    for value in (latitude, longitude):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidValue(
                ErrorCode.INVALID_COORDINATES,
                "Koordinat harus berupa angka.",
                "Coordinates must be finite numbers.",
            )
    if not -90 <= latitude <= 90:
        raise InvalidValue(
            ErrorCode.INVALID_COORDINATES,
            "Lintang harus di antara -90 dan 90.",
            "Latitude must be between -90 and 90.",
        )
    if not -180 <= longitude <= 180:
        raise InvalidValue(
            ErrorCode.INVALID_COORDINATES,
            "Bujur harus di antara -180 dan 180.",
            "Longitude must be between -180 and 180.",
        )
    return float(latitude), float(longitude)


@dataclass(frozen=True)
class BoundingBox:
    """A region's extent in degrees, used to refuse reports from outside the region.

    Indonesian regions never straddle the antimeridian, so min <= max on both axes.
    """

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def __post_init__(self) -> None:
        validate_coordinates(self.min_lat, self.min_lon)
        validate_coordinates(self.max_lat, self.max_lon)
        if self.min_lat > self.max_lat or self.min_lon > self.max_lon:
            raise InvalidValue(
                ErrorCode.INVALID_COORDINATES,
                "Batas minimum wilayah melebihi batas maksimum.",
                "The box's minimum corner exceeds its maximum corner.",
            )

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies inside the box or on its edge."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # min() guards against rounding pushing `a` just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))

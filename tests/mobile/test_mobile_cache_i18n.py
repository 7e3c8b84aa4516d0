"""Cached GETs when offline, the translation catalogues, and client-side answer checks."""

import re

import pytest

from mobile.core.answers import clean_answers
from mobile.core.api import Offline
from mobile.core.cache import ResponseCache
from mobile.core.catalogues import CATALOGUES
from mobile.core.i18n import Translator
from shared.complaints import COMPLAINT_MACHINE
from shared.permits import PERMIT_MACHINE
from shared.roles import Role


async def test_last_good_response_is_shown_stale_when_offline(
    api_server, unreachable_url, tmp_path, make_client
):
    cache = ResponseCache(tmp_path / "cache")
    online = make_client(api_server.base_url, cache=cache)
    first = await online.agencies()
    assert not first.stale and first.data["items"]

    again = await online.agencies()  # revalidated with the ETag: 304, same data
    assert not again.stale and again.data == first.data
    assert online.transport.requests[-1].headers["If-None-Match"]

    offline = make_client(unreachable_url, cache=cache)
    stale = await offline.agencies()
    assert stale.stale and stale.data == first.data and stale.saved_at

    with pytest.raises(Offline):  # never fetched, so nothing to fall back on
        await offline.permit_types()


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_catalogues_have_the_same_keys_and_placeholders():
    indonesian, english = CATALOGUES["id"], CATALOGUES["en"]
    assert indonesian.keys() == english.keys()
    for key in indonesian:
        assert placeholders(indonesian[key]) == placeholders(english[key]), key
        assert indonesian[key].strip() and english[key].strip(), key


def test_every_role_and_workflow_action_has_a_text():
    actions = {*COMPLAINT_MACHINE.actions, *PERMIT_MACHINE.actions}
    keys = {f"action.{action}" for action in actions} | {f"role.{role}" for role in Role}
    assert keys <= CATALOGUES["id"].keys()


def test_switching_language_notifies_observers():
    translator = Translator("id")
    seen = []
    translator.bind(seen.append)
    assert translator.t("login.submit") == "Masuk"

    translator.set_language("en")

    assert seen == ["en"]
    assert translator.t("login.submit") == "Log in"
    assert translator.pick({"id": "Jalan rusak", "en": "Damaged road"}) == "Damaged road"
    assert translator.error("email_taken") == "Email already registered"
    with pytest.raises(ValueError):
        translator.set_language("jv")


FORM = [
    {
        "code": "nama",
        "label": {},
        "type": "text",
        "required": True,
        "validation": {"min_length": 3},
    },
    {"code": "luas", "label": {}, "type": "number", "validation": {"min_value": 1}},
    {"code": "lantai", "label": {}, "type": "integer"},
    {"code": "mulai", "label": {}, "type": "date"},
    {"code": "telepon", "label": {}, "type": "phone"},
    {"code": "nik", "label": {}, "type": "nik"},
    {"code": "lokasi", "label": {}, "type": "coordinates"},
    {"code": "jenis", "label": {}, "type": "multichoice", "validation": {"max_length": 1}},
]


def test_answers_are_cleaned_and_every_problem_reported():
    answers, problems = clean_answers(
        FORM,
        {
            "nama": "  Siti  ",
            "luas": "12,5",
            "lantai": "2",
            "mulai": "2026-12-01",
            "telepon": "0812-3456-7890",
            "nik": "3674016501900003",
            "lokasi": ("-6.29", "106.71"),
            "jenis": [],
        },
    )
    assert problems == {}
    assert answers == {
        "nama": "Siti",
        "luas": 12.5,
        "lantai": 2,
        "mulai": "2026-12-01",
        "telepon": "+6281234567890",
        "nik": "3674016501900003",
        "lokasi": {"latitude": -6.29, "longitude": 106.71},
    }

    _, problems = clean_answers(
        FORM,
        {
            "nama": "",
            "luas": "0",
            "lantai": "2.5",
            "mulai": "2026-02-30",
            "telepon": "12345",
            "nik": "123",
            "lokasi": ("-91", "106"),
            "jenis": ["a", "b"],
        },
    )
    indonesian, english = Translator("id"), Translator("en")
    assert {code: p.text(english) for code, p in problems.items()} == {
        "nama": "Required.",
        "luas": "Must be at least 1.",
        "lantai": "Must be a whole number.",
        "mulai": "That date does not exist.",
        "telepon": "Enter an Indonesian mobile number such as 0812-3456-7890.",
        "nik": "Invalid NIK: it must be exactly 16 digits.",
        "lokasi": "Latitude must be between -90 and 90.",
        "jenis": "Choose at most 1.",
    }
    assert problems["nama"].text(indonesian) == "Wajib diisi."
    assert problems["nik"].text(indonesian) == "NIK tidak valid: harus 16 digit angka."

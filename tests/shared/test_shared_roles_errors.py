import re

import pytest

from shared.errors import LANGUAGES, MESSAGES, ErrorCode, message
from shared.roles import SYSTEM, Role, belongs_to_agency


def test_only_officers_and_supervisors_belong_to_an_agency():
    assert {role for role in Role if belongs_to_agency(role)} == {Role.OFFICER, Role.SUPERVISOR}


def test_belongs_to_agency_accepts_the_stored_string():
    assert belongs_to_agency("officer")
    assert not belongs_to_agency("resident")


def test_the_system_actor_is_not_a_role_an_account_can_hold():
    with pytest.raises(ValueError):
        Role(SYSTEM.value)


def test_every_error_code_has_a_title_in_both_languages():
    assert set(MESSAGES) == set(ErrorCode)
    for code, texts in MESSAGES.items():
        assert len(texts) == len(LANGUAGES), code
        indonesian, english = texts
        assert indonesian.strip() and english.strip(), code
        # Catches an English text pasted into the Indonesian slot.
        assert indonesian != english, code


def test_error_codes_are_unique_snake_case():
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    for value in values:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", value), value


def test_message_defaults_to_indonesian():
    assert message(ErrorCode.NOT_FOUND) == "Data tidak ditemukan"
    assert message(ErrorCode.NOT_FOUND, "en") == "Not found"


def test_message_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unsupported language"):
        message(ErrorCode.NOT_FOUND, "fr")

"""Answers to permit forms and complaint questions, checked per field type."""

import pytest

from backend.region.forms import FormAnswersError, validate_form_answers
from backend.region.pack import FormField
from shared.errors import ErrorCode

VALID_NIK = "3674015506920001"  # Tangerang Selatan, woman born 15 June 1992


def field(code: str, type: str, **extra) -> FormField:
    return FormField.model_validate(
        {"code": code, "label": {"id": code, "en": code}, "type": type, **extra}
    )


def choices(*values: str) -> list[dict]:
    return [{"value": v, "label": {"id": v, "en": v}} for v in values]


def errors_of(fields, answers, **options) -> dict[str, str]:
    with pytest.raises(FormAnswersError) as caught:
        validate_form_answers(fields, answers, **options)
    return {error.field: error.message.en for error in caught.value.errors}


@pytest.mark.parametrize(
    ("form_field", "given", "cleaned"),
    [
        (field("name", "text"), "  Siti  ", "Siti"),
        (field("note", "textarea"), "line one\nline two", "line one\nline two"),
        (field("width", "number"), 2.5, 2.5),
        (field("faces", "integer"), 2.0, 2),
        (field("day", "date"), "2026-08-17", "2026-08-17"),
        (field("kind", "choice", choices=choices("a", "b")), "b", "b"),
        (field("extras", "multichoice", choices=choices("a", "b", "c")), ["c", "a"], ["c", "a"]),
        (field("lit", "boolean"), False, False),
        (field("email", "email"), "Siti@Example.COM", "Siti@example.com"),
        (field("phone", "phone"), "0812-3456-7890", "+6281234567890"),
        (field("nik", "nik"), "3674 0155 0692 0001", VALID_NIK),
        (
            field("where", "coordinates"),
            {"latitude": -6.29, "longitude": 106.72},
            {"latitude": -6.29, "longitude": 106.72},
        ),
    ],
)
def test_each_type_accepts_and_cleans_a_good_answer(form_field, given, cleaned):
    assert validate_form_answers([form_field], {form_field.code: given}) == {
        form_field.code: cleaned
    }


@pytest.mark.parametrize(
    ("form_field", "given", "message"),
    [
        (field("name", "text"), 42, "Must be text."),
        (field("name", "text", validation={"min_length": 3}), "Al", "At least 3 characters."),
        (field("name", "text"), "x" * 501, "At most 500 characters."),  # the default cap
        (
            field("npwp", "text", validation={"pattern": "[0-9]{15,16}"}),
            "12.345",
            "Not in the expected format; see the field's help.",
        ),
        (field("width", "number"), "2.5", "Must be a number."),
        (field("width", "number"), True, "Must be a number."),
        (field("width", "number", validation={"max_value": 20}), 20.5, "Must be at most 20."),
        (
            field("area", "number", validation={"min_value": 10, "max_value": 1000000}),
            1000001,
            "Must be at most 1000000.",
        ),
        (field("faces", "integer"), 1.5, "Must be a whole number."),
        (field("faces", "integer", validation={"min_value": 1}), 0, "Must be at least 1."),
        (field("day", "date"), "17-08-2026", "Dates are written YYYY-MM-DD."),
        (field("day", "date"), "2026-02-30", "That date does not exist."),
        (field("kind", "choice", choices=choices("a")), "z", "Not one of the choices."),
        (field("kind", "choice", choices=choices("a")), ["a"], "Not one of the choices."),
        (
            field("extras", "multichoice", choices=choices("a", "b")),
            ["a", "a"],
            "A choice is repeated.",
        ),
        (
            field("extras", "multichoice", choices=choices("a", "b"), validation={"max_length": 1}),
            ["a", "b"],
            "At most 1 choices.",
        ),
        (field("lit", "boolean"), "yes", "Must be true or false."),
        (field("email", "email"), "siti@", "Not a valid email address."),
        (field("phone", "phone"), "021-7460-1101", "Enter an Indonesian mobile number"),
        (field("nik", "nik"), "1234", "Invalid NIK: it must be exactly 16 digits."),
        (field("where", "coordinates"), [-6.29, 106.72], "Coordinates are written as"),
        (
            field("where", "coordinates"),
            {"latitude": -96, "longitude": 106.72},
            "Latitude must be between -90 and 90.",
        ),
    ],
)
def test_each_type_refuses_a_bad_answer(form_field, given, message):
    assert errors_of([form_field], {form_field.code: given})[form_field.code].startswith(message)


def test_every_bad_field_is_reported_at_once():
    fields = [
        field("name", "text", required=True),
        field("nik", "nik", required=True),
        field("width", "number"),
    ]
    errors = errors_of(fields, {"nik": "1", "width": "wide", "colour": "red"})
    assert errors == {
        "colour": "Not a field of this form.",
        "name": "Required.",
        "nik": "Invalid NIK: it must be exactly 16 digits.",
        "width": "Must be a number.",
    }


def test_blank_answers_count_as_unanswered():
    fields = [
        field("name", "text", required=True),
        field("tags", "multichoice", choices=choices("a")),
    ]
    assert set(errors_of(fields, {"name": "   ", "tags": []})) == {"name"}
    assert validate_form_answers(fields, {"name": "Siti", "tags": None}) == {"name": "Siti"}


def test_optional_blank_answers_are_left_out():
    fields = [field("name", "text"), field("lit", "boolean")]
    assert validate_form_answers(fields, {"name": "", "lit": False}) == {"lit": False}


def test_a_draft_may_miss_required_answers_but_not_hold_bad_ones():
    fields = [field("name", "text", required=True), field("email", "email", required=True)]
    assert validate_form_answers(fields, {"email": "a@example.com"}, partial=True) == {
        "email": "a@example.com"
    }
    assert set(errors_of(fields, {"email": "nope"}, partial=True)) == {"email"}


def test_problem_names_fields_in_the_readers_language():
    fields = [field("nik", "nik", required=True), field("lebar", "number")]
    with pytest.raises(FormAnswersError) as caught:
        validate_form_answers(fields, {"lebar": "x"})
    problem = caught.value.to_problem("id")
    assert problem.status == 422
    assert [(e.field, e.code, e.message) for e in problem.errors] == [
        ("answers.nik", ErrorCode.VALIDATION_FAILED, "Wajib diisi."),
        ("answers.lebar", ErrorCode.VALIDATION_FAILED, "Harus berupa angka."),
    ]


def test_shared_validators_give_their_own_error_codes():
    fields = [field("nik", "nik"), field("hp", "phone"), field("where", "coordinates")]
    answers = {"nik": "1", "hp": "12", "where": {"latitude": 0, "longitude": 200}}
    with pytest.raises(FormAnswersError) as caught:
        validate_form_answers(fields, answers)
    assert [(error.field, error.code) for error in caught.value.errors] == [
        ("nik", ErrorCode.INVALID_NIK),
        ("hp", ErrorCode.INVALID_PHONE),
        ("where", ErrorCode.INVALID_COORDINATES),
    ]


def test_demo_permit_forms_accept_a_complete_application(demo_pack):
    reklame = next(p for p in demo_pack.permit_types if p.code == "izin-reklame")
    answers = {
        "nama_pemohon": "Budi Santoso",
        "nik": VALID_NIK,
        "telepon": "0857 1111 2222",
        "npwp": "0123456789012345",
        "jenis_reklame": "neon-box",
        "naskah_reklame": "Warung Kopi Harapan - buka 24 jam",
        "lebar_m": 2,
        "tinggi_m": 1.5,
        "jumlah_sisi": 2,
        "lokasi": {"latitude": -6.3, "longitude": 106.7},
        "alamat_lokasi": "Jl. Raya Harapan No. 10",
        "status_lahan": "sewa",
        "mulai_tayang": "2026-09-01",
        "berlistrik": True,
    }
    cleaned = validate_form_answers(reklame.form, answers)
    assert cleaned["telepon"] == "+6285711112222"
    assert list(cleaned) == [f.code for f in reklame.form if f.code in answers]


def test_demo_complaint_questions_use_the_same_validation(demo_pack):
    flooding = next(c for c in demo_pack.complaint_categories if c.code == "banjir-drainase")
    assert validate_form_answers(flooding.questions, {"kedalaman_air": "selutut"}) == {
        "kedalaman_air": "selutut"
    }
    assert set(errors_of(flooding.questions, {"lama_genangan_jam": -1})) == {
        "kedalaman_air",
        "lama_genangan_jam",
    }

"""Checking a resident's answers against a form from the region pack.

One function serves permit application forms and complaint categories' extra questions, since a
question is a `FormField` of one of a few types. Every bad answer is reported at once, each with
its field code and a message in both languages, so the app can mark all fields in one round trip.
Cleaned answers are JSON-ready (dates as ISO strings) for storing in a JSON column.
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email

from backend.errors import FieldError, Unprocessable
from backend.region.pack import FieldType, FormField, LocalizedText
from shared.errors import ErrorCode
from shared.limits import DEFAULT_TEXT_MAX_LENGTH
from shared.validators import InvalidValue, normalize_phone, validate_coordinates, validate_nik


@dataclass(frozen=True)
class AnswerError:
    field: str  # the form field's code
    code: ErrorCode
    message: LocalizedText


class FormAnswersError(Exception):
    """Answers that do not fit the form; `errors` names every bad field."""

    def __init__(self, errors: list[AnswerError]) -> None:
        super().__init__("; ".join(f"{error.field}: {error.message.en}" for error in errors))
        self.errors = errors

    def to_problem(self, language: str, *, prefix: str = "answers") -> Unprocessable:
        """A 422 problem whose `errors` name each field as `{prefix}.{code}`."""
        errors = [
            FieldError(
                field=f"{prefix}.{error.field}",
                code=error.code,
                message=error.message.in_language(language),
            )
            for error in self.errors
        ]
        return Unprocessable("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def _invalid(message_id: str, message_en: str) -> InvalidValue:
    return InvalidValue(ErrorCode.VALIDATION_FAILED, message_id, message_en)


def _number_text(value: float) -> str:
    """10.0 -> "10", 1000000.0 -> "1000000", 0.5 -> "0.5" (never "1e+06")."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_range(field: FormField, value: float) -> None:
    rules = field.validation
    if rules.min_value is not None and value < rules.min_value:
        low = _number_text(rules.min_value)
        raise _invalid(f"Nilai minimal {low}.", f"Must be at least {low}.")
    if rules.max_value is not None and value > rules.max_value:
        high = _number_text(rules.max_value)
        raise _invalid(f"Nilai maksimal {high}.", f"Must be at most {high}.")


def _check_length(field: FormField, length: int, unit_id: str, unit_en: str) -> None:
    rules = field.validation
    max_length = rules.max_length or DEFAULT_TEXT_MAX_LENGTH.get(field.type)
    if rules.min_length is not None and length < rules.min_length:
        n = rules.min_length
        raise _invalid(f"Minimal {n} {unit_id}.", f"At least {n} {unit_en}.")
    if max_length is not None and length > max_length:
        raise _invalid(f"Maksimal {max_length} {unit_id}.", f"At most {max_length} {unit_en}.")


def _as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid("Harus berupa teks.", "Must be text.")
    return value.strip()


def _text(field: FormField, value: Any) -> str:
    value = _as_text(value)
    _check_length(field, len(value), "karakter", "characters")
    if field.validation.pattern and not re.fullmatch(field.validation.pattern, value):
        raise _invalid(
            "Formatnya tidak sesuai; lihat petunjuk pengisian.",
            "Not in the expected format; see the field's help.",
        )
    return value


def _number(field: FormField, value: Any) -> float:
    # bool is an int subclass in Python, but true/false is not a number to a resident.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid("Harus berupa angka.", "Must be a number.")
    _check_range(field, value)
    return value


def _integer(field: FormField, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("Harus berupa bilangan bulat.", "Must be a whole number.")
    _check_range(field, value)
    return value


def _date(field: FormField, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise _invalid("Tanggal ditulis TTTT-BB-HH.", "Dates are written YYYY-MM-DD.")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _invalid("Tanggal itu tidak ada.", "That date does not exist.") from None


def _choice(field: FormField, value: Any) -> str:
    if not isinstance(value, str) or value not in {choice.value for choice in field.choices}:
        raise _invalid("Bukan salah satu pilihan yang tersedia.", "Not one of the choices.")
    return value


def _multichoice(field: FormField, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _invalid("Harus berupa daftar pilihan.", "Must be a list of choices.")
    allowed = {choice.value for choice in field.choices}
    if any(not isinstance(item, str) or item not in allowed for item in value):
        raise _invalid("Ada yang bukan pilihan yang tersedia.", "Contains an unknown choice.")
    if len(set(value)) != len(value):
        raise _invalid("Ada pilihan yang terulang.", "A choice is repeated.")
    _check_length(field, len(value), "pilihan", "choices")
    return value


def _boolean(field: FormField, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid("Jawab ya atau tidak.", "Must be true or false.")
    return value


def _email(field: FormField, value: Any) -> str:
    try:
        return validate_email(_as_text(value), check_deliverability=False).normalized
    except EmailNotValidError:
        raise _invalid("Alamat email tidak valid.", "Not a valid email address.") from None


def _phone(field: FormField, value: Any) -> str:
    return normalize_phone(_as_text(value))


def _nik(field: FormField, value: Any) -> str:
    return validate_nik(_as_text(value)).nik


def _coordinates(field: FormField, value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != {"latitude", "longitude"}:
        raise InvalidValue(
            ErrorCode.INVALID_COORDINATES,
            "Koordinat ditulis sebagai {latitude, longitude}.",
            "Coordinates are written as {latitude, longitude}.",
        )
    latitude, longitude = validate_coordinates(value["latitude"], value["longitude"])
    return {"latitude": latitude, "longitude": longitude}


_CLEANERS: dict[FieldType, Callable[[FormField, Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.TEXTAREA: _text,
    FieldType.NUMBER: _number,
    FieldType.INTEGER: _integer,
    FieldType.DATE: _date,
    FieldType.CHOICE: _choice,
    FieldType.MULTICHOICE: _multichoice,
    FieldType.BOOLEAN: _boolean,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.NIK: _nik,
    FieldType.COORDINATES: _coordinates,
}


def _unanswered(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def validate_form_answers(
    fields: Sequence[FormField], answers: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Return the cleaned answers, in form order, or raise `FormAnswersError` naming every bad one.

    Unanswered fields (missing, null, blank text, empty list) are left out of the result.
    `partial=True` accepts missing required answers, for saving a draft; what is given must
    still be valid.
    """
    errors = [
        AnswerError(
            field=code,
            code=ErrorCode.VALIDATION_FAILED,
            message=LocalizedText(id="Bukan isian formulir ini.", en="Not a field of this form."),
        )
        for code in sorted(answers.keys() - {field.code for field in fields})
    ]
    cleaned: dict[str, Any] = {}
    for field in fields:
        value = answers.get(field.code)
        if _unanswered(value):
            if field.required and not partial:
                errors.append(
                    AnswerError(
                        field=field.code,
                        code=ErrorCode.VALIDATION_FAILED,
                        message=LocalizedText(id="Wajib diisi.", en="Required."),
                    )
                )
            continue
        try:
            cleaned[field.code] = _CLEANERS[field.type](field, value)
        except InvalidValue as exc:
            message = LocalizedText(id=exc.detail_id, en=exc.detail_en)
            errors.append(AnswerError(field=field.code, code=exc.code, message=message))
    if errors:
        raise FormAnswersError(errors)
    return cleaned

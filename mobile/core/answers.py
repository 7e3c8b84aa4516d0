"""Client-side checks of answers to a region pack form, before anything is sent.

They mirror the server's rules (`backend/region/forms.py`) so residents see mistakes next to the
field at once; the server still has the last word. Raw answers arrive as typed text (or booleans
and lists of choices); `clean_answer` returns the JSON value the API expects.
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from mobile.core.i18n import Translator
from shared.limits import DEFAULT_TEXT_MAX_LENGTH
from shared.validators import InvalidValue, normalize_phone, validate_coordinates, validate_nik

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_Checked = TypeVar("_Checked")


class AnswerInvalid(Exception):
    """A bad answer; the reason is a catalogue key (with parameters) or a shared validator's."""

    def __init__(
        self, key: str | None = None, *, shared: InvalidValue | None = None, **params: Any
    ) -> None:
        super().__init__(key or str(shared))
        self.key = key
        self.shared = shared
        self.params = params

    def text(self, translator: Translator) -> str:
        if self.shared is not None:
            return self.shared.detail(translator.language)
        return translator.t(f"answer.{self.key}", **self.params)


def is_unanswered(raw: Any) -> bool:
    return raw is None or raw == [] or (isinstance(raw, str) and not raw.strip())


def _number(raw: str, integer: bool) -> float | int:
    text = raw.strip().replace(",", ".")  # Indonesians write decimals with a comma
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise AnswerInvalid("whole_number" if integer else "number") from None


def _check_range(rules: dict[str, Any], value: float) -> None:
    if rules.get("min_value") is not None and value < rules["min_value"]:
        raise AnswerInvalid("min_value", limit=f"{rules['min_value']:g}")
    if rules.get("max_value") is not None and value > rules["max_value"]:
        raise AnswerInvalid("max_value", limit=f"{rules['max_value']:g}")


def _check_length(rules: dict[str, Any], kind: str, length: int, unit: str) -> None:
    maximum = rules.get("max_length") or DEFAULT_TEXT_MAX_LENGTH.get(kind)
    if rules.get("min_length") is not None and length < rules["min_length"]:
        raise AnswerInvalid(f"min_{unit}", limit=rules["min_length"])
    if maximum is not None and length > maximum:
        raise AnswerInvalid(f"max_{unit}", limit=maximum)


def _date(raw: str) -> str:
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise AnswerInvalid("date_format")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise AnswerInvalid("date_missing") from None


def _shared(check: Callable[..., _Checked], *args: Any) -> _Checked:
    try:
        return check(*args)
    except InvalidValue as exc:
        raise AnswerInvalid(shared=exc) from None


def clean_answer(field: dict[str, Any], raw: Any) -> Any:
    """The JSON value for one answered field, or `AnswerInvalid`."""
    kind = field["type"]
    rules = field.get("validation") or {}
    if kind == "password":  # client-only type; the server judges strength, spaces count
        return raw
    if kind in ("text", "textarea"):
        text = raw.strip()
        _check_length(rules, kind, len(text), "characters")
        if rules.get("pattern") and not re.fullmatch(rules["pattern"], text):
            raise AnswerInvalid("pattern")
        return text
    if kind in ("number", "integer"):
        value = _number(raw, integer=kind == "integer")
        _check_range(rules, value)
        return value
    if kind == "date":
        return _date(raw)
    if kind == "choice":
        return raw
    if kind == "multichoice":
        _check_length(rules, kind, len(raw), "choices")
        return list(raw)
    if kind == "boolean":
        return bool(raw)
    if kind == "email":
        if not _EMAIL.fullmatch(raw.strip()):
            raise AnswerInvalid("email")
        return raw.strip()
    if kind == "phone":
        return _shared(normalize_phone, raw)
    if kind == "nik":
        return _shared(validate_nik, raw).nik
    if kind == "coordinates":
        latitude, longitude = (_number(part, integer=False) for part in raw)
        latitude, longitude = _shared(validate_coordinates, latitude, longitude)
        return {"latitude": latitude, "longitude": longitude}
    raise ValueError(f"unknown field type {kind!r}")


def clean_answers(
    fields: list[dict[str, Any]], raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, AnswerInvalid]]:
    """Cleaned answers for the answered fields, and the problem of each bad or missing one."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, AnswerInvalid] = {}
    for field in fields:
        value: Any = raw.get(field["code"])
        if is_unanswered(value) or (field["type"] == "coordinates" and not any(value)):
            if field.get("required"):
                problems[field["code"]] = AnswerInvalid("required")
            continue
        try:
            cleaned[field["code"]] = clean_answer(field, value)
        except AnswerInvalid as problem:
            problems[field["code"]] = problem
    return cleaned, problems

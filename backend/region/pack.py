"""The region-pack file format, version 1: the data that makes one Warga deployment a city.

A pack is one YAML or JSON file (documented in docs/region-pack.md). `load_pack_file` reads and
validates it; every problem is reported with the exact path of the bad field, such as
``permit_types[2].form[0].validation.pattern``, so a region's author can fix the file without
reading Python. Checks that span several fields (unique codes, references to agencies, rules
that must fit a field's type) live in model validators that raise `CrossReferenceError` with
paths relative to the model; `parse_pack` joins them to the model's own location.
"""

import json
import re
from collections.abc import Hashable
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from backend.errors import field_path
from shared.roles import STAFF_ROLES, Role
from shared.validators import BoundingBox

FORMAT_VERSION = 1

# Codes end up in URLs (/agencies/{code}) and as JSON keys of form answers: keep them plain.
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]
# A contact number as people write it: "(021) 7460-1101", "+62 811-1234-5678".
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9(][0-9 ()-]{5,24}$")]
# Written back as 10 rather than 10.0 when whole, so an integer field's limits read naturally.
Number = Annotated[float, PlainSerializer(lambda v: int(v) if v.is_integer() else v)]
Language = Literal["id", "en"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MediaType = Literal["application/pdf", "image/jpeg", "image/png"]

Loc = tuple[str | int, ...]


class CrossReferenceError(ValueError):
    """Problems a model validator found, each at a location relative to the validated model."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{field_path(loc)}: {message}" for loc, message in problems))
        self.problems = problems


def _raise_if_any(problems: list[tuple[Loc, str]]) -> None:
    if problems:
        raise CrossReferenceError(problems)


def _duplicates(items: list[Any], attribute: str, within: Loc = ()) -> list[tuple[Loc, str]]:
    """A problem for every item whose `attribute` repeats an earlier item's."""
    first_index: dict[Any, int] = {}
    problems: list[tuple[Loc, str]] = []
    for index, item in enumerate(items):
        value = getattr(item, attribute)
        if value in first_index:
            problems.append(
                (
                    (*within, index, attribute),
                    f"duplicate {attribute} {value!s}, already used at index {first_index[value]}",
                )
            )
        else:
            first_index[value] = index
    return problems


class PackModel(BaseModel):
    # Unknown keys are refused so that a misspelt key is reported instead of silently ignored.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocalizedText(PackModel):
    """A text in Bahasa Indonesia (`id`) and English (`en`); every text people read is one."""

    id: Text
    en: Text

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.id


# --- Forms: used for permit applications and for complaint categories' extra questions ---


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    BOOLEAN = "boolean"
    EMAIL = "email"
    PHONE = "phone"
    NIK = "nik"
    COORDINATES = "coordinates"


# The types the complaint screen offers for a category's extra questions.
QUESTION_TYPES = frozenset(
    {FieldType.TEXT, FieldType.NUMBER, FieldType.CHOICE, FieldType.BOOLEAN, FieldType.DATE}
)
CHOICE_TYPES = frozenset({FieldType.CHOICE, FieldType.MULTICHOICE})
# Which validation rule applies to which field type (for multichoice, length counts the choices).
RULE_TYPES: dict[str, frozenset[FieldType]] = {
    "min_length": frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.MULTICHOICE}),
    "max_length": frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.MULTICHOICE}),
    "pattern": frozenset({FieldType.TEXT, FieldType.TEXTAREA}),
    "min_value": frozenset({FieldType.NUMBER, FieldType.INTEGER}),
    "max_value": frozenset({FieldType.NUMBER, FieldType.INTEGER}),
}


class Choice(PackModel):
    value: Code
    label: LocalizedText


class FieldValidation(PackModel):
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1)
    min_value: Number | None = None
    max_value: Number | None = None
    pattern: str | None = Field(None, description="Regular expression the whole answer must match")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _minimum_not_above_maximum(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        for low, high in (("min_length", "max_length"), ("min_value", "max_value")):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                problems.append(((high,), f"{high} {high_value} is below {low} {low_value}"))
        _raise_if_any(problems)
        return self

    def rules_given(self) -> list[str]:
        return [rule for rule in RULE_TYPES if getattr(self, rule) is not None]


class FormField(PackModel):
    """One field of a permit form or one extra question of a complaint category."""

    code: Code
    label: LocalizedText
    type: FieldType
    required: bool = False
    help: LocalizedText | None = None
    choices: list[Choice] = []
    validation: FieldValidation = Field(default_factory=FieldValidation)

    @model_validator(mode="after")
    def _rules_fit_the_type(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.type in CHOICE_TYPES and not self.choices:
            problems.append((("choices",), f"a {self.type} field needs at least one choice"))
        if self.type not in CHOICE_TYPES and self.choices:
            problems.append((("choices",), f"a {self.type} field has no choices"))
        problems += _duplicates(self.choices, "value", within=("choices",))
        for rule in self.validation.rules_given():
            if self.type not in RULE_TYPES[rule]:
                message = f"{rule} does not apply to a {self.type} field"
                problems.append((("validation", rule), message))
        _raise_if_any(problems)
        return self


# --- Region ---


class MapTiles(PackModel):
    """Where the app's maps get their tiles: a city's own tile server, or a provider used under
    its terms (OpenStreetMap's public servers forbid heavy use by apps)."""

    url: str = Field(
        max_length=500,
        description="An https:// or http:// template with {z}, {x} and {y}",
        examples=["https://tiles.example.go.id/{z}/{x}/{y}.png"],
    )
    attribution: str = Field(min_length=1, max_length=300, description="Shown under every map")
    max_zoom: int = Field(19, ge=1, le=22)

    @field_validator("url")
    @classmethod
    def _tile_template(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the tile URL must start with https:// or http://")
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
        if missing:
            raise ValueError(f"the tile URL must contain {', '.join(missing)}")
        return url


class Place(PackModel):
    """A named part of the city (a kecamatan or kelurahan) and its centre: the app names the
    nearest one under a map pin, since a resident knows "near Serpong" better than numbers."""

    name: str = Field(min_length=1, max_length=80, examples=["Serpong"])
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class RegionSpec(PackModel):
    code: Code
    name: LocalizedText
    time_zone: str = Field(max_length=64, description="IANA name, e.g. Asia/Jakarta")
    languages: list[Language] = Field(["id", "en"], min_length=1)
    bounding_box: BoundingBox = Field(description="Complaint locations must fall inside it")
    reopen_window_days: int = Field(7, ge=1, le=365)
    # Complaint deadlines in working days (LAPOR! defaults); categories may override them.
    verify_working_days: int = Field(3, ge=1)
    follow_up_working_days: int = Field(5, ge=1)
    # Without tiles the app's maps draw pins on a plain background.
    map_tiles: MapTiles | None = None
    places: list[Place] = Field([], max_length=1000, description="Named parts of the city")

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name such as Asia/Jakarta"
            ) from None
        return name

    @field_validator("languages")
    @classmethod
    def _languages_unique(cls, languages: list[str]) -> list[str]:
        if len(set(languages)) != len(languages):
            raise ValueError("each language may be listed once")
        return languages

    @model_validator(mode="after")
    def _places_inside(self) -> "RegionSpec":
        box = self.bounding_box
        problems: list[tuple[Loc, str]] = [
            (("places", index), f"{place.name} lies outside the region's bounding_box")
            for index, place in enumerate(self.places)
            if not box.contains(place.latitude, place.longitude)
        ]
        _raise_if_any([*problems, *_duplicates(self.places, "name", ("places",))])
        return self


# --- Agencies ---


def _without_offset(value: time) -> time:
    # An offset (also what a number turns into: seconds past midnight UTC) would make opening
    # and closing times incomparable, and hours are on the region's clock anyway.
    if value.tzinfo is not None:
        raise ValueError("a local clock time has no UTC offset, e.g. '07:30'")
    return value


# A local clock time, sent as "07:30:00". Pydantic documents `time` with JSON Schema's "time"
# format, which (RFC 3339) requires a UTC offset these times do not carry.
LocalTime = Annotated[
    time,
    AfterValidator(_without_offset),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
            "examples": ["07:30:00"],
        }
    ),
]


class OpeningPeriod(PackModel):
    """Opening time to closing time on one day; written "07:30-16:00" in a pack."""

    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="before")
    @classmethod
    def _from_range_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            parts = data.split("-")
            if len(parts) != 2:
                raise ValueError(f"expected a range such as '07:30-16:00', got {data!r}")
            return {"opens": parts[0].strip(), "closes": parts[1].strip()}
        return data

    @model_validator(mode="after")
    def _opens_before_closing(self) -> Self:
        if self.opens >= self.closes:
            raise ValueError("the opening time must come before the closing time")
        return self


def _split_periods(value: Any) -> Any:
    return [part.strip() for part in value.split(",")] if isinstance(value, str) else value


# A weekday's periods, also written as one text: "07:30-11:30, 13:00-16:30".
DayHours = Annotated[list[OpeningPeriod], BeforeValidator(_split_periods)]


class Contacts(PackModel):
    phone: Phone | None = None
    email: EmailStr | None = None
    website: HttpUrl | None = None
    whatsapp: Phone | None = None


class AgencySpec(PackModel):
    code: Code
    name: LocalizedText
    description: LocalizedText
    address: Text
    # A weekday that is not listed is closed.
    opening_hours: dict[Weekday, DayHours] = {}
    contacts: Contacts = Field(default_factory=Contacts)

    @model_validator(mode="after")
    def _periods_in_order(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        for day, periods in self.opening_hours.items():
            for index in range(1, len(periods)):
                if periods[index].opens < periods[index - 1].closes:
                    problems.append(
                        (
                            ("opening_hours", day, index),
                            "periods must be in order and must not overlap",
                        )
                    )
        _raise_if_any(problems)
        return self


# --- Complaint categories ---


class ComplaintCategorySpec(PackModel):
    code: Code
    name: LocalizedText
    description: LocalizedText
    agency: Code = Field(description="Code of the agency that receives these complaints")
    # Overrides of the region's complaint deadlines; None keeps the region's value.
    verify_working_days: int | None = Field(None, ge=1)
    follow_up_working_days: int | None = Field(None, ge=1)
    questions: list[FormField] = []

    @model_validator(mode="after")
    def _questions_valid(self) -> Self:
        problems = _duplicates(self.questions, "code", within=("questions",))
        allowed = ", ".join(sorted(QUESTION_TYPES))
        for index, question in enumerate(self.questions):
            if question.type not in QUESTION_TYPES:
                problems.append(
                    (
                        ("questions", index, "type"),
                        f"a complaint question cannot be of type {question.type}; use {allowed}",
                    )
                )
        _raise_if_any(problems)
        return self


# --- Permit types ---


class DocumentKind(PackModel):
    code: Code
    label: LocalizedText
    required: bool = False
    media_types: list[MediaType] = Field(
        ["application/pdf", "image/jpeg", "image/png"], min_length=1
    )
    max_size_mb: int = Field(5, ge=1, le=50)


class ReviewStep(PackModel):
    code: Code
    name: LocalizedText
    role: Role = Field(description="Who acts on this step: officer or supervisor")
    working_days: int = Field(ge=1)

    @field_validator("role")
    @classmethod
    def _staff_role(cls, role: Role) -> Role:
        if role not in STAFF_ROLES:
            raise ValueError("a review step is acted on by an officer or a supervisor")
        return role


class PermitTypeSpec(PackModel):
    code: Code
    name: LocalizedText
    description: LocalizedText
    agency: Code = Field(description="Code of the responsible agency")
    requirements: list[LocalizedText] = []
    form: list[FormField] = []
    documents: list[DocumentKind] = []
    fee: int = Field(0, ge=0, description="Standard fee in rupiah; 0 means free")
    fee_basis: LocalizedText | None = None
    steps: list[ReviewStep] = Field(min_length=1)
    deadline_working_days: int = Field(ge=1, description="Statutory service time limit")
    validity_days: int | None = Field(None, ge=1, description="None: the permit does not expire")
    renewable: bool = False
    public_register: bool = False
    output: LocalizedText

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = (
            _duplicates(self.form, "code", within=("form",))
            + _duplicates(self.documents, "code", within=("documents",))
            + _duplicates(self.steps, "code", within=("steps",))
        )
        steps_total = sum(step.working_days for step in self.steps)
        if steps_total > self.deadline_working_days:
            problems.append(
                (
                    ("deadline_working_days",),
                    f"the steps take {steps_total} working days, more than the "
                    f"deadline of {self.deadline_working_days}",
                )
            )
        if self.renewable and self.validity_days is None:
            problems.append((("renewable",), "only a permit that expires (validity_days) renews"))
        _raise_if_any(problems)
        return self


# --- Holidays and information pages ---


class HolidayOverrideSpec(PackModel):
    date: date
    name: LocalizedText
    # True: an extra day off (e.g. regional collective leave); False: offices open on a
    # national holiday.
    is_holiday: bool = True


class InfoPageSpec(PackModel):
    slug: Code
    title: LocalizedText
    body: LocalizedText = Field(description="Markdown")


class RegionPack(PackModel):
    format_version: Literal[1]
    pack_version: str = Field(min_length=1, max_length=40)
    region: RegionSpec
    agencies: list[AgencySpec] = Field(min_length=1)
    complaint_categories: list[ComplaintCategorySpec] = []
    permit_types: list[PermitTypeSpec] = []
    holiday_overrides: list[HolidayOverrideSpec] = []
    information_pages: list[InfoPageSpec] = []

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        problems = (
            _duplicates(self.agencies, "code", within=("agencies",))
            + _duplicates(self.complaint_categories, "code", within=("complaint_categories",))
            + _duplicates(self.permit_types, "code", within=("permit_types",))
            + _duplicates(self.holiday_overrides, "date", within=("holiday_overrides",))
            + _duplicates(self.information_pages, "slug", within=("information_pages",))
        )
        agency_codes = {agency.code for agency in self.agencies}
        for kind in ("complaint_categories", "permit_types"):
            for index, item in enumerate(getattr(self, kind)):
                if item.agency not in agency_codes:
                    problems.append(((kind, index, "agency"), f"unknown agency {item.agency!r}"))
        _raise_if_any(problems)
        return self


# --- Reading a pack ---


class PackProblem(NamedTuple):
    path: str  # "" for a problem with the file as a whole
    message: str


class RegionPackError(Exception):
    """A pack that cannot be used, with every problem found."""

    def __init__(self, source: str, problems: list[PackProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"  {path}: {message}" if path else f"  {message}" for path, message in problems]
        super().__init__("\n".join([f"region pack {source} is invalid:", *lines]))


def _problems_from(error: ValidationError) -> list[PackProblem]:
    problems = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, CrossReferenceError):
            problems += [PackProblem(field_path(loc + sub), text) for sub, text in cause.problems]
        elif isinstance(cause, ValueError):  # our own validators' message, without "Value error, "
            problems.append(PackProblem(field_path(loc), str(cause)))
        else:
            problems.append(PackProblem(field_path(loc), detail["msg"]))
    return problems


def parse_pack(data: Any, *, source: str = "<data>") -> RegionPack:
    """Validate already-parsed pack data (a mapping), raising `RegionPackError`."""
    if not isinstance(data, dict):
        raise RegionPackError(source, [PackProblem("", "the pack must be a mapping of keys")])
    version = data.get("format_version")
    # Checked first: when the version is wrong, every other message would only be noise.
    if version != FORMAT_VERSION or isinstance(version, bool):
        problem = "missing" if version is None else f"unsupported format_version {version!r}"
        raise RegionPackError(
            source,
            [PackProblem("format_version", f"{problem}; this Warga reads format_version 1")],
        )
    try:
        return RegionPack.model_validate(data)
    except ValidationError as exc:
        raise RegionPackError(source, _problems_from(exc)) from None


class _PackLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a repeated key is an error instead of a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        first_line: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first_line[key]})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _parse_text(text: str, suffix: str, source: str) -> Any:
    def fail(message: str) -> RegionPackError:
        return RegionPackError(source, [PackProblem("", message)])

    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise fail(f"invalid JSON at {where}: {exc.msg}") from None
    if suffix not in {".yaml", ".yml"}:
        raise fail("a region pack is a .yaml, .yml or .json file")
    try:
        return yaml.load(text, Loader=_PackLoader)  # safe: plain data only, never objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise fail(f"invalid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise fail(f"invalid YAML: {exc}") from None


def load_pack_file(path: str | Path) -> RegionPack:
    """Read and validate a pack file (.yaml, .yml or .json), raising `RegionPackError`."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegionPackError(source, [PackProblem("", "file not found")]) from None
    except UnicodeDecodeError:
        raise RegionPackError(source, [PackProblem("", "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise RegionPackError(source, [PackProblem("", f"cannot read: {exc.strerror}")]) from None
    return parse_pack(_parse_text(text, path.suffix.lower(), source), source=source)

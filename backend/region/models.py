"""Tables filled from the region pack by `service.load_pack`.

Texts people read are stored twice, as ``<name>_id`` (Bahasa Indonesia) and ``<name>_en``
(English); `Bilingual` reads such a pair back as one `LocalizedText`. (``agency_id`` is, as
usual, a foreign key.) Nested structures of the pack (forms, steps, opening hours ...) are
stored as JSON exactly as the pack's models dump them, and read back through those models.

Catalogue rows are never deleted, since complaints and permits refer to them: a reload that
drops one sets ``active = False``.
"""

import datetime as dt
from typing import Any, ClassVar

from pydantic import TypeAdapter
from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, Relationship, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.region.pack import DocumentKind, FormField, LocalizedText, ReviewStep
from shared.validators import BoundingBox


class Bilingual:
    """Reads the columns ``<name>_id`` and ``<name>_en`` as one `LocalizedText` (None if unset).

    Declared as ``name: ClassVar[Bilingual] = Bilingual()`` so that SQLModel leaves it alone.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, row: Any, owner: type | None = None) -> Any:
        if row is None:
            return self
        text_id, text_en = getattr(row, f"{self.name}_id"), getattr(row, f"{self.name}_en")
        return None if text_id is None else LocalizedText(id=text_id, en=text_en)


def _json_column() -> Column[Any]:
    return Column(JSON, nullable=False)


_FORM = TypeAdapter(list[FormField])
_DOCUMENTS = TypeAdapter(list[DocumentKind])
_STEPS = TypeAdapter(list[ReviewStep])


class Region(SQLModel, table=True):
    """The city this deployment serves: a single row."""

    __tablename__ = "region"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name_id: str
    name_en: str
    time_zone: str = Field(max_length=64)
    languages: list[str] = Field(sa_column=_json_column())
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float
    reopen_window_days: int
    verify_working_days: int
    follow_up_working_days: int
    map_tiles: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    places: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    pack_version: str = Field(max_length=40)
    format_version: int
    loaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    name: ClassVar[Bilingual] = Bilingual()

    @property
    def bounding_box(self) -> BoundingBox:
        return BoundingBox(self.min_lat, self.min_lon, self.max_lat, self.max_lon)


class Agency(SQLModel, table=True):
    """A government agency (OPD); officers and supervisors belong to one."""

    __tablename__ = "agency"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name_id: str
    name_en: str
    description_id: str = Field(sa_type=Text)
    description_en: str = Field(sa_type=Text)
    address: str = Field(sa_type=Text)
    opening_hours: dict[str, Any] = Field(default_factory=dict, sa_column=_json_column())
    contacts: dict[str, Any] = Field(default_factory=dict, sa_column=_json_column())
    position: int = 0  # order in the pack, which is the order lists show
    active: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    name: ClassVar[Bilingual] = Bilingual()
    description: ClassVar[Bilingual] = Bilingual()


class ComplaintCategory(SQLModel, table=True):
    __tablename__ = "complaint_category"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name_id: str
    name_en: str
    description_id: str = Field(sa_type=Text)
    description_en: str = Field(sa_type=Text)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    # None: the region's default deadline applies (see service.complaint_deadlines).
    verify_working_days: int | None = None
    follow_up_working_days: int | None = None
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    position: int = 0
    active: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    agency: Agency = Relationship()

    name: ClassVar[Bilingual] = Bilingual()
    description: ClassVar[Bilingual] = Bilingual()

    def question_fields(self) -> list[FormField]:
        return _FORM.validate_python(self.questions)


class PermitType(SQLModel, table=True):
    __tablename__ = "permit_type"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name_id: str
    name_en: str
    description_id: str = Field(sa_type=Text)
    description_en: str = Field(sa_type=Text)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    requirements: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    form: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    fee: int = Field(default=0, sa_type=BigInteger)  # rupiah; building levies exceed 2^31
    fee_basis_id: str | None = Field(default=None, sa_type=Text)
    fee_basis_en: str | None = Field(default=None, sa_type=Text)
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    deadline_working_days: int
    validity_days: int | None = None  # None: the permit does not expire
    renewable: bool = False
    public_register: bool = False
    output_id: str = Field(sa_type=Text)
    output_en: str = Field(sa_type=Text)
    position: int = 0
    active: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    agency: Agency = Relationship()

    name: ClassVar[Bilingual] = Bilingual()
    description: ClassVar[Bilingual] = Bilingual()
    fee_basis: ClassVar[Bilingual] = Bilingual()
    output: ClassVar[Bilingual] = Bilingual()

    def form_fields(self) -> list[FormField]:
        return _FORM.validate_python(self.form)

    def document_kinds(self) -> list[DocumentKind]:
        return _DOCUMENTS.validate_python(self.documents)

    def review_steps(self) -> list[ReviewStep]:
        return _STEPS.validate_python(self.steps)


class HolidayOverride(SQLModel, table=True):
    """A date on which the region departs from the national holiday calendar."""

    __tablename__ = "holiday_override"

    id: int = Field(default=None, primary_key=True)
    date: dt.date = Field(unique=True, index=True)
    name_id: str
    name_en: str
    is_holiday: bool  # True: extra day off; False: offices work despite a national holiday
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    name: ClassVar[Bilingual] = Bilingual()


class InfoPage(SQLModel, table=True):
    """A public information page (Markdown), e.g. about the service or privacy."""

    __tablename__ = "info_page"

    id: int = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    title_id: str
    title_en: str
    body_id: str = Field(sa_type=Text)
    body_en: str = Field(sa_type=Text)
    position: int = 0
    active: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    title: ClassVar[Bilingual] = Bilingual()
    body: ClassVar[Bilingual] = Bilingual()

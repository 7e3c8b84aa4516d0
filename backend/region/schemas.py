"""Public representations of the region's catalogue.

Every text comes in both languages, so one cached response serves every reader whatever their
language. Nested parts (forms, steps, documents, opening hours) use the pack's own models.
"""

from pydantic import BaseModel

from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.region.pack import (
    Contacts,
    DocumentKind,
    FormField,
    Language,
    LocalizedText,
    MapTiles,
    OpeningPeriod,
    Place,
    ReviewStep,
    Weekday,
)
from backend.region.service import ComplaintDeadlines, RegionSnapshot
from shared.validators import BoundingBox


class RegionPublic(BaseModel):
    code: str
    name: LocalizedText
    time_zone: str
    languages: list[Language]
    bounding_box: BoundingBox
    reopen_window_days: int
    verify_working_days: int
    follow_up_working_days: int
    map_tiles: MapTiles | None
    places: list[Place]
    pack_version: str

    @classmethod
    def from_snapshot(cls, region: RegionSnapshot) -> "RegionPublic":
        return cls(
            code=region.code,
            name=region.name,
            time_zone=region.time_zone,
            languages=list(region.languages),
            bounding_box=region.bounding_box,
            reopen_window_days=region.reopen_window_days,
            verify_working_days=region.verify_working_days,
            follow_up_working_days=region.follow_up_working_days,
            map_tiles=region.map_tiles,
            places=list(region.places),
            pack_version=region.pack_version,
        )


class AgencyRef(BaseModel):
    code: str
    name: LocalizedText

    @classmethod
    def from_row(cls, agency: Agency) -> "AgencyRef":
        return cls(code=agency.code, name=agency.name)


class AgencyPublic(BaseModel):
    code: str
    name: LocalizedText
    description: LocalizedText
    address: str
    opening_hours: dict[Weekday, list[OpeningPeriod]]
    contacts: Contacts

    @classmethod
    def from_row(cls, agency: Agency) -> "AgencyPublic":
        return cls(
            code=agency.code,
            name=agency.name,
            description=agency.description,
            address=agency.address,
            opening_hours=agency.opening_hours,
            contacts=agency.contacts,
        )


class ComplaintCategoryPublic(BaseModel):
    code: str
    name: LocalizedText
    description: LocalizedText
    agency: AgencyRef
    # The deadlines that apply: the category's own, or else the region's.
    verify_working_days: int
    follow_up_working_days: int
    questions: list[FormField]

    @classmethod
    def from_row(
        cls, category: ComplaintCategory, *, deadlines: ComplaintDeadlines
    ) -> "ComplaintCategoryPublic":
        return cls(
            code=category.code,
            name=category.name,
            description=category.description,
            agency=AgencyRef.from_row(category.agency),
            verify_working_days=deadlines.verify_working_days,
            follow_up_working_days=deadlines.follow_up_working_days,
            questions=category.question_fields(),
        )


class PermitTypePublic(BaseModel):
    """A permit type as its service standard (standar pelayanan) presents it."""

    code: str
    name: LocalizedText
    description: LocalizedText
    agency: AgencyRef
    requirements: list[LocalizedText]
    form: list[FormField]
    documents: list[DocumentKind]
    fee: int
    fee_basis: LocalizedText | None
    steps: list[ReviewStep]
    deadline_working_days: int
    validity_days: int | None
    renewable: bool
    public_register: bool
    output: LocalizedText

    @classmethod
    def from_row(cls, permit_type: PermitType) -> "PermitTypePublic":
        return cls(
            code=permit_type.code,
            name=permit_type.name,
            description=permit_type.description,
            agency=AgencyRef.from_row(permit_type.agency),
            requirements=permit_type.requirements,
            form=permit_type.form_fields(),
            documents=permit_type.document_kinds(),
            fee=permit_type.fee,
            fee_basis=permit_type.fee_basis,
            steps=permit_type.review_steps(),
            deadline_working_days=permit_type.deadline_working_days,
            validity_days=permit_type.validity_days,
            renewable=permit_type.renewable,
            public_register=permit_type.public_register,
            output=permit_type.output,
        )


# The catalogue is small and bounded by the pack, so its lists come whole, without cursors.
class AgencyList(BaseModel):
    items: list[AgencyPublic]


class ComplaintCategoryList(BaseModel):
    items: list[ComplaintCategoryPublic]


class PermitTypeList(BaseModel):
    items: list[PermitTypePublic]

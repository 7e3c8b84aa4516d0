"""Request and response models of public information.

Responses are in one language, the one the reader asked for (``Accept-Language``), and say so
in ``Content-Language``; what admins and supervisors write comes in both (`LocalizedText`).
"""

import datetime as dt
from typing import Any, Self

from pydantic import BaseModel, Field, model_validator

from backend.db import INTEGER_MAX, Moment
from backend.errors import bilingual
from backend.information.models import (
    Announcement,
    AnnouncementCategory,
    PublicService,
    SearchKind,
    ServiceFaq,
)
from backend.region.models import Agency, InfoPage
from backend.region.pack import Code, Contacts, DayHours, LocalizedText, OpeningPeriod, Weekday


def _texts(items: list[dict[str, Any]], language: str) -> list[str]:
    return [LocalizedText.model_validate(item).in_language(language) for item in items]


EXPIRY_BEFORE_PUBLICATION = bilingual(
    "Waktu berakhir harus sesudah waktu terbit.", "expires_at must come after publish_at."
)


class AgencyLabel(BaseModel):
    """An agency named in the reader's language (the region's `AgencyRef` carries both)."""

    code: str
    name: str

    @classmethod
    def from_row(cls, agency: Agency, language: str) -> Self:
        return cls(code=agency.code, name=agency.name.in_language(language))


# --- Announcements ---


class AnnouncementPublic(BaseModel):
    id: int
    agency: AgencyLabel
    category: AnnouncementCategory
    title: str
    body: str = Field(description="Markdown")
    publish_at: dt.datetime
    expires_at: dt.datetime | None
    pinned: bool
    image_url: str | None
    thumbnail_url: str | None

    @classmethod
    def from_row(cls, row: Announcement, *, agency: Agency, language: str) -> Self:
        image = f"/api/v1/announcements/{row.id}/image" if row.image_key else None
        return cls(
            id=row.id,
            agency=AgencyLabel.from_row(agency, language),
            category=row.category,
            title=row.title.in_language(language),
            body=row.body.in_language(language),
            publish_at=row.publish_at,
            expires_at=row.expires_at,
            pinned=row.pinned,
            image_url=image,
            thumbnail_url=f"{image}/thumbnail" if image else None,
        )


class AnnouncementPage(BaseModel):
    items: list[AnnouncementPublic]
    next_cursor: str | None = None


class AnnouncementCreate(BaseModel):
    agency_code: Code | None = Field(
        None, description="Admins name the agency; a supervisor's own agency is the default"
    )
    category: AnnouncementCategory = AnnouncementCategory.ANNOUNCEMENT
    title: LocalizedText
    body: LocalizedText
    publish_at: Moment | None = Field(None, description="Default: now")
    expires_at: Moment | None = None
    pinned: bool = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.publish_at and self.expires_at and self.expires_at <= self.publish_at:
            raise ValueError(EXPIRY_BEFORE_PUBLICATION)
        return self


class AnnouncementUpdate(BaseModel):
    """Only the fields given change; `expires_at: null` removes the expiry."""

    category: AnnouncementCategory | None = None
    title: LocalizedText | None = None
    body: LocalizedText | None = None
    publish_at: Moment | None = None
    expires_at: Moment | None = None
    pinned: bool | None = None


# --- Agency directory and service catalogue ---


class ServiceRef(BaseModel):
    code: str
    name: str


class AgencyInfo(BaseModel):
    code: str
    name: str
    description: str
    address: str
    opening_hours: dict[Weekday, list[OpeningPeriod]]
    contacts: Contacts
    services: list[ServiceRef]

    @classmethod
    def from_row(cls, agency: Agency, *, services: list[PublicService], language: str) -> Self:
        return cls(
            code=agency.code,
            name=agency.name.in_language(language),
            description=agency.description.in_language(language),
            address=agency.address,
            opening_hours=agency.opening_hours,
            contacts=agency.contacts,
            services=[ServiceRef(code=s.code, name=s.name.in_language(language)) for s in services],
        )


class AgencyDirectory(BaseModel):
    items: list[AgencyInfo]


class FollowedAgencies(BaseModel):
    items: list[AgencyLabel]


class AgencyUpdate(BaseModel):
    """Admins correct the directory; a later reload of the region pack restores the pack's text."""

    name: LocalizedText | None = None
    description: LocalizedText | None = None
    address: str | None = Field(None, min_length=1, max_length=500)
    opening_hours: dict[Weekday, DayHours] | None = None
    contacts: Contacts | None = None


class FaqPublic(BaseModel):
    id: int
    question: str
    answer: str

    @classmethod
    def from_row(cls, faq: ServiceFaq, language: str) -> Self:
        return cls(
            id=faq.id,
            question=faq.question.in_language(language),
            answer=faq.answer.in_language(language),
        )


class ServicePublic(BaseModel):
    """A service as its Standar Pelayanan presents it."""

    code: str
    name: str
    description: str
    agency: AgencyLabel
    requirements: list[str]
    procedure: list[str]
    time_limit: str
    fee: str
    output: str
    complaints: str = Field(description="How to complain about this service")
    permit_type_code: str | None
    complaint_category_code: str | None
    faqs: list[FaqPublic]

    @classmethod
    def from_row(
        cls,
        service: PublicService,
        *,
        agency: Agency,
        permit_type_code: str | None,
        complaint_category_code: str | None,
        faqs: list[ServiceFaq],
        language: str,
    ) -> Self:
        return cls(
            code=service.code,
            name=service.name.in_language(language),
            description=service.description.in_language(language),
            agency=AgencyLabel.from_row(agency, language),
            requirements=_texts(service.requirements, language),
            procedure=_texts(service.procedure, language),
            time_limit=service.time_limit.in_language(language),
            fee=service.fee.in_language(language),
            output=service.output.in_language(language),
            complaints=service.complaints.in_language(language),
            permit_type_code=permit_type_code,
            complaint_category_code=complaint_category_code,
            faqs=[FaqPublic.from_row(faq, language) for faq in faqs],
        )


class ServiceList(BaseModel):
    items: list[ServicePublic]


class ServiceTexts(BaseModel):
    """The texts of a service standard, in both languages."""

    name: LocalizedText
    description: LocalizedText
    requirements: list[LocalizedText] = []
    procedure: list[LocalizedText] = []
    time_limit: LocalizedText
    fee: LocalizedText
    output: LocalizedText
    complaints: LocalizedText


class ServiceCreate(ServiceTexts):
    code: Code
    agency_code: Code
    permit_type_code: Code | None = None
    complaint_category_code: Code | None = None


class ServiceUpdate(BaseModel):
    """Only the fields given change."""

    agency_code: Code | None = None
    name: LocalizedText | None = None
    description: LocalizedText | None = None
    requirements: list[LocalizedText] | None = None
    procedure: list[LocalizedText] | None = None
    time_limit: LocalizedText | None = None
    fee: LocalizedText | None = None
    output: LocalizedText | None = None
    complaints: LocalizedText | None = None
    active: bool | None = None


class FaqWrite(BaseModel):
    question: LocalizedText
    answer: LocalizedText
    position: int = Field(0, ge=0, le=INTEGER_MAX)


# --- Information pages and search ---


class InfoPageSummary(BaseModel):
    slug: str
    title: str


class InfoPageList(BaseModel):
    items: list[InfoPageSummary]


class InfoPagePublic(BaseModel):
    slug: str
    title: str
    body: str = Field(description="Markdown")

    @classmethod
    def from_row(cls, page: InfoPage, language: str) -> Self:
        return cls(
            slug=page.slug,
            title=page.title.in_language(language),
            body=page.body.in_language(language),
        )


class SearchHit(BaseModel):
    kind: SearchKind
    id: int = Field(description="The announcement's or FAQ's id; the agency's or service's row id")
    code: str | None = Field(
        description="The agency's or service's code; for an FAQ, its service's code"
    )
    title: str
    summary: str


class SearchResults(BaseModel):
    query: str
    items: list[SearchHit]


def summary(text: str, length: int = 200) -> str:
    """The first `length` characters of `text` on one line, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + " …"

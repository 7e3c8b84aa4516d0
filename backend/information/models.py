"""Public information: announcements, the service catalogue with its FAQs, and the search index.

Texts people read are stored as ``<name>_id`` / ``<name>_en`` pairs, read back through the
region's `Bilingual` descriptor. Agencies and information pages themselves are the region's
tables (``backend.region.models``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.region.models import Bilingual


class AnnouncementCategory(StrEnum):
    ANNOUNCEMENT = "announcement"  # pengumuman
    NEWS = "news"  # berita
    EVENT = "event"  # acara
    SERVICE_DISRUPTION = "service_disruption"  # gangguan layanan
    EMERGENCY = "emergency"  # darurat


class Announcement(SQLModel, table=True):
    __tablename__ = "announcement"
    __table_args__ = (
        # The public list: pinned first, then newest first.
        Index("ix_announcement_feed", "pinned", "publish_at", "id"),
        Index("ix_announcement_agency_feed", "agency_id", "publish_at"),
    )

    id: int = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    category: AnnouncementCategory = Field(sa_type=String(24))
    title_id: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_id: str = Field(sa_type=Text)
    body_en: str = Field(sa_type=Text)
    publish_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    pinned: bool = False
    # Re-encoded photo (EXIF-free JPEG) and its thumbnail in the content-addressed file store.
    image_key: str | None = Field(default=None, max_length=64)
    thumbnail_key: str | None = Field(default=None, max_length=64)
    author_id: int = Field(foreign_key="user_account.id")
    # Set once the agency's followers have been told (at publication, not at writing).
    notified_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    title: ClassVar[Bilingual] = Bilingual()
    body: ClassVar[Bilingual] = Bilingual()


class AgencyFollow(SQLModel, table=True):
    """A resident following an agency: its new announcements land in their inbox."""

    __tablename__ = "agency_follow"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _json_list() -> Column[Any]:
    return Column(JSON, nullable=False)


class PublicService(SQLModel, table=True):
    """One service of the catalogue with its service standard (Standar Pelayanan, PermenPAN-RB
    15/2014): requirements, procedure, time limit, fee, output and how to complain.

    Services behind a permit type or a complaint category are seeded from them and link back;
    admins may add others (e.g. a counter service) and edit every text.
    """

    __tablename__ = "public_service"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    permit_type_id: int | None = Field(default=None, foreign_key="permit_type.id", unique=True)
    complaint_category_id: int | None = Field(
        default=None, foreign_key="complaint_category.id", unique=True
    )
    name_id: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description_id: str = Field(sa_type=Text)
    description_en: str = Field(sa_type=Text)
    # Lists of {"id": ..., "en": ...} texts, in order.
    requirements: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_list())
    procedure: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_list())
    time_limit_id: str = Field(sa_type=Text)
    time_limit_en: str = Field(sa_type=Text)
    fee_id: str = Field(sa_type=Text)
    fee_en: str = Field(sa_type=Text)
    output_id: str = Field(sa_type=Text)
    output_en: str = Field(sa_type=Text)
    complaints_id: str = Field(sa_type=Text)
    complaints_en: str = Field(sa_type=Text)
    position: int = 0
    active: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    name: ClassVar[Bilingual] = Bilingual()
    description: ClassVar[Bilingual] = Bilingual()
    time_limit: ClassVar[Bilingual] = Bilingual()
    fee: ClassVar[Bilingual] = Bilingual()
    output: ClassVar[Bilingual] = Bilingual()
    complaints: ClassVar[Bilingual] = Bilingual()


class ServiceFaq(SQLModel, table=True):
    __tablename__ = "service_faq"

    id: int = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="public_service.id", index=True)
    question_id: str = Field(max_length=300)
    question_en: str = Field(max_length=300)
    answer_id: str = Field(sa_type=Text)
    answer_en: str = Field(sa_type=Text)
    position: int = 0
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    question: ClassVar[Bilingual] = Bilingual()
    answer: ClassVar[Bilingual] = Bilingual()


class SearchKind(StrEnum):
    ANNOUNCEMENT = "announcement"
    SERVICE = "service"
    AGENCY = "agency"
    FAQ = "faq"


class SearchEntry(SQLModel, table=True):
    """One searchable item in both languages, as stemmed terms (see ``stemming.py``).

    The engine's full-text index sits on ``title_terms`` and ``body_terms``: an FTS5 table kept
    in step by triggers on SQLite, a GIN expression index on PostgreSQL (migration 0002).
    """

    __tablename__ = "search_entry"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: int = Field(default=None, primary_key=True)
    kind: SearchKind = Field(sa_type=String(16))
    ref_id: int
    # The item is listed only between these times (announcements' publication and expiry).
    visible_from: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    visible_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    title_terms: str = Field(sa_type=Text)
    body_terms: str = Field(sa_type=Text)
    source_updated_at: dt.datetime = Field(sa_type=UTCDateTime)

"""Complaint tables: the complaint itself, its append-only audit trail, pauses, photos, supporters.

A complaint's ``version`` is SQLAlchemy's row version: every UPDATE checks it, so of two
officers acting on the same item at once exactly one succeeds and the other gets a 409.
"""

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, Index, Integer, String, Text, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from shared.complaints import ComplaintStatus

TRACKING_PREFIX = "ADU"  # "aduan": complaint


def tracking_number(*, year: int, complaint_id: int) -> str:
    """E.g. ADU-2026-000123; unique because the id is, on every engine and under concurrency."""
    return f"{TRACKING_PREFIX}-{year}-{complaint_id:06d}"


_version_column = Column("version", Integer, nullable=False)


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"
    __table_args__ = (
        # An agency's queue in deadline order; the status is filtered while walking it.
        Index("ix_complaint_queue", "agency_id", "due_date", "id"),
        # Nearby duplicates and the map: a bounding-box prefilter on plain columns.
        Index("ix_complaint_location", "latitude", "longitude"),
        # Closing resolved complaints whose reopen window has passed.
        Index("ix_complaint_resolved", "status", "resolved_at"),
    )
    __mapper_args__ = {"version_id_col": _version_column}
    # A write to a complaint drops only the kept answers of its agency and reporter (queues,
    # "my complaints") and its own (its detail) besides those built from the whole table: see
    # backend.microcache.
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("id", "agency_id", "reporter_id")

    id: int = Field(default=None, primary_key=True)
    # Set from the id right after the INSERT, in the same transaction: typed as every stored
    # complaint has it, while the column allows the NULL of that moment.
    tracking_number: str = Field(default=None, nullable=True, max_length=24, unique=True)
    reporter_id: int = Field(foreign_key="user_account.id", index=True)
    category_id: int = Field(foreign_key="complaint_category.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")  # the responsible agency; forwarding changes it
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    status: ComplaintStatus = Field(default=ComplaintStatus.SUBMITTED, sa_type=String(20))
    # Where the complaint was when the agency asked the reporter for information.
    status_before_pause: ComplaintStatus | None = Field(default=None, sa_type=String(20))
    title: str = Field(max_length=120)
    description: str = Field(sa_type=Text)
    address: str | None = Field(default=None, max_length=300)
    latitude: float
    longitude: float
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    anonymous: bool = False  # the reporter's name is hidden from the public
    confidential: bool = False  # the complaint is hidden from the public entirely
    # Local date (region time zone) by which the current stage must be done; paused working
    # days are added when the pause ends.
    due_date: dt.date
    paused_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Working days from filing to resolution, less the days paused waiting on the reporter;
    # fixed when resolved, so a later change to the holiday calendar does not rewrite history.
    resolution_working_days: int | None = None
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=1000)
    duplicate_of_id: int | None = Field(default=None, foreign_key="complaint.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column=_version_column)


class ComplaintEvent(SQLModel, table=True):
    """One line of the audit trail: who did what, when, from which status to which.

    Append-only: rows are inserted and never changed (an update raises, see below). Public
    events form the timeline the reporter (and, unless confidential, everyone) sees; internal
    ones are for staff only.
    """

    __tablename__ = "complaint_event"
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("complaint_id",)  # its complaint's detail

    id: int = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")  # None: the system
    actor_role: str = Field(max_length=16)
    action: str = Field(max_length=32)
    from_status: ComplaintStatus | None = Field(default=None, sa_type=String(20))
    to_status: ComplaintStatus | None = Field(default=None, sa_type=String(20))
    note: str | None = Field(default=None, sa_type=Text)
    public: bool = True
    # Facts of the action beyond the statuses: agencies of a forward, the original of a duplicate.
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@event.listens_for(ComplaintEvent, "before_update")
def _refuse_audit_changes(
    _mapper: Mapper[Any], _connection: Connection, target: ComplaintEvent
) -> None:
    raise RuntimeError("the complaint audit trail is append-only")


class ComplaintPause(SQLModel, table=True):
    """A period in which the deadline clock stood still, waiting on the reporter."""

    __tablename__ = "complaint_pause"
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("complaint_id",)  # its complaint's detail

    id: int = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    working_days: int | None = None  # by how much the deadline moved, once the pause ended


class ComplaintPhoto(SQLModel, table=True):
    """A re-encoded photo (EXIF-free JPEG plus thumbnail) in the content-addressed file store."""

    __tablename__ = "complaint_photo"
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("complaint_id",)  # its complaint's detail

    id: int = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    uploaded_by_id: int = Field(foreign_key="user_account.id")
    from_staff: bool = False  # e.g. the agency's photo of the repair
    file_key: str = Field(max_length=64)
    thumbnail_key: str = Field(max_length=64)
    width: int
    height: int
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComplaintSupporter(SQLModel, table=True):
    """A resident saying "me too"; the primary key makes it once per resident."""

    __tablename__ = "complaint_supporter"
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("complaint_id",)  # its complaint's detail

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

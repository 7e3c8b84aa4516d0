"""Permit applications, their documents, their audit trail and the verifications of issued permits.

One row of `PermitApplication` follows a request from draft to issued permit (and on to expired
or revoked): the permit is the application's outcome, so its number, dates and verification code
live on the same row. `version` is a row version: two officers deciding at once both read the same
version, and the second write matches no row, which the API answers with 409.
"""

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from shared.permits import PermitStatus


def _json_column(nullable: bool = False) -> Column[Any]:
    return Column(JSON, nullable=nullable)


_VERSION = Column("version", Integer, nullable=False)


class PermitApplication(SQLModel, table=True):
    __tablename__ = "permit_application"
    # The review queue: an agency's applications waiting on one role's step, by due date.
    __table_args__ = (
        Index("ix_permit_application_queue", "agency_id", "step_role", "due_on", "id"),
        # Issued permits whose certificate is still to be produced (few, and soon none).
        Index(
            "ix_permit_application_certificate_pending",
            "id",
            sqlite_where=text("permit_number IS NOT NULL AND certificate_key IS NULL"),
            postgresql_where=text("permit_number IS NOT NULL AND certificate_key IS NULL"),
        ),
    )
    # A write to an application drops only the kept lists of its agency and applicant besides
    # those built from the whole table: see backend.microcache.
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("agency_id", "applicant_id")

    id: int = Field(default=None, primary_key=True)
    registration_number: str = Field(max_length=32, unique=True)  # IZN-2026-000045
    permit_type_id: int = Field(foreign_key="permit_type.id", index=True)
    # Copied from the permit type when the draft is made, so a later change to the region pack
    # does not move applications already under way to another agency.
    agency_id: int = Field(foreign_key="agency.id", index=True)
    applicant_id: int = Field(foreign_key="user_account.id", index=True)
    renewal_of_id: int | None = Field(default=None, foreign_key="permit_application.id")
    status: PermitStatus = Field(default=PermitStatus.DRAFT, sa_type=String(24), index=True)
    step_index: int = 0  # the review step waiting for a decision (index into the type's steps)
    # The role that step names, kept here so a queue is one indexed query; None outside review.
    step_role: str | None = Field(default=None, max_length=16)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=_json_column())
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id")

    # Deadline (local dates of the region): due_on moves by the working days spent in needs_info.
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_on: dt.date | None = Field(default=None, index=True)
    paused_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_working_days: int = 0
    pauses: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json_column())
    # What the reviewer asked for while the application is in needs_info.
    requested_fields: list[str] = Field(default_factory=list, sa_column=_json_column())
    requested_documents: list[str] = Field(default_factory=list, sa_column=_json_column())
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Fee: billed on approval; the payment columns leave room for a gateway's callback later.
    fee_amount: int | None = Field(default=None, sa_type=BigInteger)
    payment_reference: str | None = Field(default=None, max_length=32, unique=True)
    payment_receipt: str | None = Field(default=None, max_length=64)
    paid_amount: int | None = Field(default=None, sa_type=BigInteger)
    paid_on: dt.date | None = None

    # The permit, once issued.
    permit_number: str | None = Field(default=None, max_length=48, unique=True)
    issued_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = Field(default=None, index=True)  # last valid day; None: forever
    verification_code: str | None = Field(default=None, max_length=64, unique=True)
    # FileStore key of the PDF: produced after the permit is committed (see `issuing`), so an
    # issued permit has none for a moment, or until the certificates job makes it.
    certificate_key: str | None = Field(default=None, max_length=64)
    # Until when a producer (the issuing request, or a job run) holds the right to make it.
    certificate_claimed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation_reason: str | None = Field(default=None, sa_type=Text)
    # Expiry reminders sent so far: the smallest "days before expiry" threshold reminded of.
    reminded_days_before: int | None = None

    version: int = Field(default=1, sa_column=_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__ = {"version_id_col": _VERSION}


class PermitDocument(SQLModel, table=True):
    """The file uploaded for one document kind of an application (a new upload replaces it)."""

    __tablename__ = "permit_document"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: int = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="permit_application.id", index=True)
    kind: str = Field(max_length=64)  # the permit type's document code
    file_key: str = Field(max_length=64)
    media_type: str = Field(max_length=64)
    size_bytes: int
    pages: int
    file_name: str = Field(max_length=200)  # as the applicant named it, for display only
    uploaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PermitEvent(SQLModel, table=True):
    """One entry of an application's audit trail: who did what, when, from which status to which.

    Append-only: the listeners below refuse to update or delete an entry through the ORM.
    `public` entries form the applicant's timeline; the others are internal notes of the agency.
    """

    __tablename__ = "permit_event"

    id: int = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="permit_application.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")  # None: the system
    actor_role: str = Field(max_length=16)
    action: str = Field(max_length=32)
    from_status: str = Field(max_length=24)
    to_status: str = Field(max_length=24)
    step_code: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_type=Text)
    public: bool = True
    details: dict[str, Any] = Field(default_factory=dict, sa_column=_json_column())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@event.listens_for(PermitEvent, "before_update")
@event.listens_for(PermitEvent, "before_delete")
def _refuse_to_rewrite_history(
    _mapper: Mapper[Any], _connection: Connection, target: PermitEvent
) -> None:
    raise RuntimeError("the permit audit trail is append-only")


class PermitVerification(SQLModel, table=True):
    """One look-up of a verification code (by QR scan or typed), known or not."""

    __tablename__ = "permit_verification"

    id: int = Field(default=None, primary_key=True)
    application_id: int | None = Field(
        default=None, foreign_key="permit_application.id", index=True
    )
    code: str = Field(max_length=64)
    result: str = Field(max_length=16)  # valid, expired, revoked, unknown
    channel: str = Field(max_length=8)  # html or json
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PermitCounter(SQLModel, table=True):
    """The last number handed out per series and year (registration and permit numbers)."""

    __tablename__ = "permit_counter"

    series: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(default=0, sa_type=BigInteger)

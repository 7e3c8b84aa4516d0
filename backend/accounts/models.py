from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from shared.roles import Role


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=120)
    # Stored normalised (lower-case email, E.164 phone) so lookups are exact matches.
    email: str | None = Field(default=None, max_length=254, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=16, unique=True, index=True)
    nik: str | None = Field(default=None, max_length=16, unique=True)
    # Set when an admin decided a claim on this NIK in this account's favour; a NIK typed in
    # at sign-up or in the profile is the resident's word only.
    nik_verified: bool = False
    password_hash: str = Field(max_length=255)
    # A plain string column (not a database enum) so adding a role needs no type migration.
    role: Role = Field(default=Role.RESIDENT, sa_type=String(16), index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    language: str = Field(default="id", max_length=2)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NikClaimStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"  # the NIK moved to the claimant
    REFUSED = "refused"  # the holder keeps it
    WITHDRAWN = "withdrawn"  # the claimant entered another NIK (or none) meanwhile


class NikClaim(SQLModel, table=True):
    """An account's claim to a NIK another account already holds, waiting for an admin.

    NIKs are typed in by residents and checked by no one at sign-up, so a NIK can be taken by
    mistake or by a squatter. Instead of refusing the second account (which would tell anyone
    whether a NIK is registered, and lock its owner out), the claim is queued for an admin.
    """

    __tablename__ = "nik_claim"
    __table_args__ = (UniqueConstraint("nik", "claimant_id"),)

    id: int = Field(default=None, primary_key=True)
    nik: str = Field(max_length=16, index=True)
    claimant_id: int = Field(foreign_key="user_account.id", index=True)
    # Who held the NIK when it was claimed (the holder at decision time may differ).
    holder_id: int | None = Field(default=None, foreign_key="user_account.id")
    status: NikClaimStatus = Field(default=NikClaimStatus.PENDING, sa_type=String(16), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str | None = Field(default=None, max_length=500)

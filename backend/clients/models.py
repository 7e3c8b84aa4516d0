"""API clients, their rate-limit windows and audit trail, and the channel a complaint came by."""

import datetime as dt

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow


class ApiClient(SQLModel, table=True):
    """A third party's system. Its secret is kept only as a SHA-256 hash: the secret is 256
    random bits, so a fast hash is safe and a look-up by it (Open311's `api_key`) is one index."""

    __tablename__ = "api_client"

    id: int = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    contact_email: str | None = Field(default=None, max_length=254)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Bound to one agency: sees that agency's data only (its queue, its events).
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    secret_hash: str = Field(max_length=64, unique=True)
    # After a rotation the old secret keeps working until `previous_secret_expires_at`.
    previous_secret_hash: str | None = Field(default=None, max_length=64, index=True)
    previous_secret_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    rate_limit_per_minute: int = 600
    # The account complaints filed by this client are reported under (it cannot log in).
    channel_user_id: int = Field(foreign_key="user_account.id")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiClientUsage(SQLModel, table=True):
    """The client's request count in the current one-minute window (shared by every worker)."""

    __tablename__ = "api_client_usage"

    client_pk: int = Field(foreign_key="api_client.id", primary_key=True)
    window_started_at: dt.datetime = Field(sa_type=UTCDateTime)
    requests: int = 0


class ApiClientAudit(SQLModel, table=True):
    """One request a client made: what it did, when, with which answer."""

    __tablename__ = "api_client_audit"
    __table_args__ = (Index("ix_api_client_audit_client", "client_pk", "id"),)

    id: int = Field(default=None, primary_key=True)
    client_pk: int = Field(foreign_key="api_client.id")
    method: str = Field(max_length=8)
    path: str = Field(max_length=300)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ComplaintChannel(SQLModel, table=True):
    """A complaint a client filed (REST or Open311), with the submitter's contact kept private:
    only the responsible agency's staff read it, never the public, Open311 or a webhook."""

    __tablename__ = "complaint_channel"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    client_pk: int = Field(foreign_key="api_client.id", index=True)
    via: str = Field(max_length=16)  # "api" or "open311"
    submitter_name: str | None = Field(default=None, max_length=200)
    submitter_email: str | None = Field(default=None, max_length=254)
    submitter_phone: str | None = Field(default=None, max_length=32)
    media_url: str | None = Field(default=None, max_length=2000)

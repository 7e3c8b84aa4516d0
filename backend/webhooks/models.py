"""Webhook endpoints, the outbox of messages, and each endpoint's deliveries and attempts."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by its owner: deliveries wait and go out when it is resumed
    DISABLED = "disabled"  # by Warga, after failing for days; its owner was told


class DeliveryState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every retry used up


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)  # ep_…
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Owned by a client (with the `webhooks` scope) or an admin; an agency-bound client's
    # endpoints hear only that agency's events.
    owner_client_pk: int | None = Field(default=None, foreign_key="api_client.id", index=True)
    owner_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    # The signing secrets, encrypted with a key derived from WARGA_SECRET_KEY (they must be
    # readable to sign, so they cannot be hashed). The previous one signs too until it expires.
    secret_encrypted: str = Field(max_length=400)
    previous_secret_encrypted: str | None = Field(default=None, max_length=400)
    previous_secret_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: EndpointStatus = Field(default=EndpointStatus.ACTIVE, sa_type=String(16))
    failing_since: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookMessage(SQLModel, table=True):
    """One event, as sent: written in the transaction of the change it tells of (the outbox)."""

    __tablename__ = "webhook_message"

    id: str = Field(primary_key=True, max_length=40)  # msg_…, the `webhook-id` of every attempt
    event_type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One message to one endpoint, tried until it succeeds or the retries run out."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The workers' scan for due deliveries.
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    message_id: str = Field(foreign_key="webhook_message.id", max_length=40)
    state: DeliveryState = Field(default=DeliveryState.PENDING, sa_type=String(16))
    attempts: int = 0
    # When a worker should try next; a worker that claims it moves this ahead (a lease), so
    # no other worker on any host tries it meanwhile.
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery and what came of it."""

    __tablename__ = "webhook_attempt"

    id: int = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    attempted_at: dt.datetime = Field(sa_type=UTCDateTime)
    response_status: int | None = None  # None: no answer (refused, timed out, unsafe address)
    error: str | None = Field(default=None, max_length=300)
    duration_ms: int
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

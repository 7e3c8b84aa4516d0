import datetime as dt

from pydantic import BaseModel, Field

from backend.webhooks.models import DeliveryState, EndpointStatus
from backend.webhooks.outbox import EventType


class EndpointCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://lapor.example/warga"])
    events: list[EventType] = Field(min_length=1)
    description: str | None = Field(None, max_length=200)


class EndpointUpdate(BaseModel):
    url: str | None = Field(None, min_length=8, max_length=2000)
    events: list[EventType] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    paused: bool | None = Field(None, description="Pause (true) or resume (false) deliveries.")


class EndpointRead(BaseModel):
    id: str
    url: str
    description: str | None
    events: list[str]
    agency: str | None
    status: EndpointStatus
    failing_since: dt.datetime | None
    disabled_at: dt.datetime | None
    created_at: dt.datetime


class EndpointWithSecret(EndpointRead):
    """Returned at creation and rotation: the `whsec_` secret that verifies signatures."""

    secret: str


class DeliveryAttemptRead(BaseModel):
    delivery_id: int
    message_id: str = Field(description="The `webhook-id` header; the same on every retry.")
    event_type: str
    attempt: int
    attempted_at: dt.datetime
    response_status: int | None
    error: str | None
    duration_ms: int
    state: DeliveryState = Field(description="The delivery's state now.")
    next_attempt_at: dt.datetime | None = Field(
        description="When this attempt left the next one due (null: no further attempt)."
    )


class DeliveryRead(BaseModel):
    id: int
    message_id: str
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: dt.datetime | None

"""Managing webhook endpoints: who owns which, checking their URLs, rotating their secrets.

Functions flush but never commit: the router owns the transaction.
"""

import datetime as dt
import secrets

from sqlalchemy import Select, select, update
from sqlmodel import Session, col

from backend.changes import publish
from backend.clients.dependencies import Principal
from backend.config import Settings
from backend.db import table_of, utcnow
from backend.errors import Conflict, NotFound, Unprocessable, bilingual
from backend.region.models import Agency
from backend.webhooks import signing
from backend.webhooks.models import (
    DeliveryState,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from backend.webhooks.outbox import DELIVERIES_DUE
from backend.webhooks.schemas import (
    DeliveryAttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
)
from backend.webhooks.ssrf import UnsafeUrl, check_url
from shared.errors import ErrorCode

ROTATION_GRACE = dt.timedelta(hours=24)


def _checked_url(url: str, settings: Settings) -> str:
    try:
        check_url(url, allow_private=settings.webhooks_allow_private_urls)
    except UnsafeUrl as reason:
        raise Unprocessable.for_field(
            "url",
            ErrorCode.UNSAFE_URL,
            bilingual(
                f"Alamat ini tidak dapat menerima webhook: {reason}.",
                f"This address cannot receive webhooks: {reason}.",
            ),
        ) from None
    return url


def endpoint_not_found() -> NotFound:
    return NotFound(bilingual("Webhook tidak ditemukan.", "There is no such webhook."))


def _owned(principal: Principal) -> Select[WebhookEndpoint]:
    """The endpoints this principal manages: a client its own, an admin every one."""
    statement = select(WebhookEndpoint)
    if principal.client is not None:
        statement = statement.where(
            col(WebhookEndpoint.owner_client_pk) == principal.client.client.id
        )
    return statement


def create_endpoint(
    session: Session, *, principal: Principal, data: EndpointCreate, settings: Settings
) -> tuple[WebhookEndpoint, str]:
    secret = signing.new_secret()
    client = principal.client.client if principal.client else None
    endpoint = WebhookEndpoint(
        public_id="ep_" + secrets.token_hex(10),
        url=_checked_url(data.url, settings),
        description=data.description,
        events=[str(event) for event in dict.fromkeys(data.events)],
        owner_client_pk=client.id if client else None,
        owner_user_id=principal.user.id if principal.user else None,
        agency_id=client.agency_id if client else None,
        secret_encrypted=signing.encrypt(secret, app_secret_key=settings.secret_key),
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session, *, principal: Principal) -> list[WebhookEndpoint]:
    return list(session.scalars(_owned(principal).order_by(col(WebhookEndpoint.id))))


def get_endpoint(session: Session, *, principal: Principal, public_id: str) -> WebhookEndpoint:
    endpoint = session.scalar(_owned(principal).where(col(WebhookEndpoint.public_id) == public_id))
    if endpoint is None:
        raise endpoint_not_found()
    return endpoint


def update_endpoint(
    session: Session, *, endpoint: WebhookEndpoint, data: EndpointUpdate, settings: Settings
) -> None:
    if data.url is not None:
        endpoint.url = _checked_url(data.url, settings)
    if data.events is not None:
        endpoint.events = [str(event) for event in dict.fromkeys(data.events)]
    if "description" in data.model_fields_set:
        endpoint.description = data.description
    if data.paused is not None:
        # Resuming also revives a disabled endpoint: its owner says it works again.
        endpoint.status = EndpointStatus.PAUSED if data.paused else EndpointStatus.ACTIVE
        if not data.paused:
            endpoint.failing_since = None
            endpoint.disabled_at = None
            publish(session, DELIVERIES_DUE)  # what waited goes out now
    endpoint.updated_at = utcnow()
    session.flush()


def delete_endpoint(session: Session, *, endpoint: WebhookEndpoint) -> None:
    deliveries = select(col(WebhookDelivery.id)).where(
        col(WebhookDelivery.endpoint_id) == endpoint.id
    )
    session.execute(
        table_of(WebhookAttempt).delete().where(col(WebhookAttempt.delivery_id).in_(deliveries))
    )
    session.execute(
        table_of(WebhookDelivery).delete().where(col(WebhookDelivery.endpoint_id) == endpoint.id)
    )
    session.delete(endpoint)
    session.flush()


def rotate_secret(session: Session, *, endpoint: WebhookEndpoint, settings: Settings) -> str:
    """A new secret; for a day every message is signed with both, so receivers can switch."""
    secret = signing.new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_GRACE
    endpoint.secret_encrypted = signing.encrypt(secret, app_secret_key=settings.secret_key)
    endpoint.updated_at = utcnow()
    session.flush()
    return secret


def to_read(session: Session, endpoint: WebhookEndpoint) -> EndpointRead:
    agency = session.get(Agency, endpoint.agency_id) if endpoint.agency_id else None
    return EndpointRead(
        id=endpoint.public_id,
        url=endpoint.url,
        description=endpoint.description,
        events=endpoint.events,
        agency=agency.code if agency else None,
        status=endpoint.status,
        failing_since=endpoint.failing_since,
        disabled_at=endpoint.disabled_at,
        created_at=endpoint.created_at,
    )


def attempts(
    session: Session, *, endpoint: WebhookEndpoint, limit: int
) -> list[DeliveryAttemptRead]:
    """The endpoint's latest attempts, newest first."""
    rows = session.execute(
        select(WebhookAttempt, WebhookDelivery, col(WebhookMessage.event_type))
        .join(WebhookDelivery, col(WebhookDelivery.id) == col(WebhookAttempt.delivery_id))
        .join(WebhookMessage, col(WebhookMessage.id) == col(WebhookDelivery.message_id))
        .where(col(WebhookDelivery.endpoint_id) == endpoint.id)
        .order_by(col(WebhookAttempt.id).desc())
        .limit(limit)
    ).all()
    numbers: dict[int, int] = {}
    result = []
    for attempt, delivery, event_type in rows:
        # Newest first: the delivery's attempt count, counting down.
        number = numbers.get(delivery.id, delivery.attempts)
        numbers[delivery.id] = number - 1
        result.append(
            DeliveryAttemptRead(
                delivery_id=delivery.id,
                message_id=delivery.message_id,
                event_type=event_type,
                attempt=number,
                attempted_at=attempt.attempted_at,
                response_status=attempt.response_status,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
                state=delivery.state,
                next_attempt_at=attempt.next_attempt_at,
            )
        )
    return result


def resend(session: Session, *, endpoint: WebhookEndpoint, delivery_id: int) -> DeliveryRead:
    """Send a delivery again now, with the same `webhook-id`, whatever became of it."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(bilingual("Pengiriman tidak ditemukan.", "There is no such delivery."))
    if endpoint.status == EndpointStatus.DISABLED:
        raise Conflict(
            bilingual(
                "Webhook ini dinonaktifkan; aktifkan kembali dulu.",
                "This webhook is disabled; resume it first.",
            )
        )
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery.id)
        .values(state=DeliveryState.PENDING, next_attempt_at=utcnow())
    )
    publish(session, DELIVERIES_DUE)
    session.flush()
    session.refresh(delivery)
    message = session.get_one(WebhookMessage, delivery.message_id)
    return DeliveryRead(
        id=delivery.id,
        message_id=delivery.message_id,
        event_type=message.event_type,
        state=delivery.state,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    )

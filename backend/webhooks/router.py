"""Webhook subscriptions: a client with the `webhooks` scope manages its own, an admin all."""

from typing import Annotated

from fastapi import Depends, Response, status

from backend.clients.dependencies import Principal, admin_or_client
from backend.clients.scopes import Scope
from backend.db import RowId
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import error_responses
from backend.pagination import Limit
from backend.routing import PrefixRouter
from backend.webhooks import service
from backend.webhooks.models import WebhookEndpoint
from backend.webhooks.schemas import (
    DeliveryAttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
)

router = PrefixRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

Manager = Annotated[Principal, Depends(admin_or_client(Scope.WEBHOOKS))]
ERRORS = error_responses(401, 403, 404, 429)


def _with_secret(session: SessionDep, endpoint: WebhookEndpoint, secret: str) -> EndpointWithSecret:
    return EndpointWithSecret(**service.to_read(session, endpoint).model_dump(), secret=secret)


@router.post(
    "",
    response_model=EndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 422, 429),
)
def create_webhook(
    data: EndpointCreate, principal: Manager, session: SessionDep, settings: SettingsDep
) -> EndpointWithSecret:
    """Subscribe a URL to events. The answer's `secret` (`whsec_…`, shown once) verifies the
    signatures; the URL is not contacted now, and loopback or private addresses are refused."""
    endpoint, secret = service.create_endpoint(
        session, principal=principal, data=data, settings=settings
    )
    session.commit()
    return _with_secret(session, endpoint, secret)


@router.get("", response_model=list[EndpointRead], responses=error_responses(401, 403, 429))
def list_webhooks(principal: Manager, session: SessionDep) -> list[EndpointRead]:
    return [
        service.to_read(session, e) for e in service.list_endpoints(session, principal=principal)
    ]


@router.get("/{webhook_id}", response_model=EndpointRead, responses=ERRORS)
def read_webhook(webhook_id: str, principal: Manager, session: SessionDep) -> EndpointRead:
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    return service.to_read(session, endpoint)


@router.patch(
    "/{webhook_id}", response_model=EndpointRead, responses=error_responses(401, 403, 404, 422, 429)
)
def update_webhook(
    webhook_id: str,
    data: EndpointUpdate,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
) -> EndpointRead:
    """Change the URL, events or description; `paused: true` holds deliveries back until
    `paused: false` (which also revives an endpoint Warga disabled)."""
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    service.update_endpoint(session, endpoint=endpoint, data=data, settings=settings)
    session.commit()
    return service.to_read(session, endpoint)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=ERRORS,
)
def delete_webhook(webhook_id: str, principal: Manager, session: SessionDep) -> Response:
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    service.delete_endpoint(session, endpoint=endpoint)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=EndpointWithSecret, responses=ERRORS)
def rotate_webhook_secret(
    webhook_id: str, principal: Manager, session: SessionDep, settings: SettingsDep
) -> EndpointWithSecret:
    """A new secret. For 24 hours messages carry signatures by both, so the receiver can
    switch without losing any."""
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    secret = service.rotate_secret(session, endpoint=endpoint, settings=settings)
    session.commit()
    return _with_secret(session, endpoint, secret)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryAttemptRead], responses=ERRORS)
def list_webhook_deliveries(
    webhook_id: str, principal: Manager, session: SessionDep, limit: Limit = 50
) -> list[DeliveryAttemptRead]:
    """Every attempt to send to this endpoint, newest first: response status, time, and when
    the next attempt is due."""
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    return service.attempts(session, endpoint=endpoint, limit=limit)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/resend",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 403, 404, 409, 429),
)
def resend_webhook_delivery(
    webhook_id: str, delivery_id: RowId, principal: Manager, session: SessionDep
) -> DeliveryRead:
    """Send a delivery again at once, with the same `webhook-id`."""
    endpoint = service.get_endpoint(session, principal=principal, public_id=webhook_id)
    delivery = service.resend(session, endpoint=endpoint, delivery_id=delivery_id)
    session.commit()
    return delivery

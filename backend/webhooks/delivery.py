"""Sending webhook deliveries: a loop in every server process (`run_forever`, started by the
app's lifespan), safe with any number of workers and hosts. It wakes when the change channel
announces a commit that wrote deliveries, and polls besides (retries fall due by the clock).

Each round claims a batch of due deliveries: candidates are locked with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, and each claim moves the delivery's `next_attempt_at` ahead by a lease
only if it is still the value read (a compare-and-set, which also serialises SQLite's
processes). So each attempt is made by exactly one worker; a worker that dies mid-send leaves
the delivery to be retried when the lease ends.
"""

import asyncio
import datetime as dt
import json
import logging
import time
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.changes import ChangeChannel
from backend.clients.models import ApiClient
from backend.config import Settings
from backend.db import utcnow
from backend.notifications.service import Message, notify
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
from backend.webhooks.ssrf import UnsafeUrl, check_url, resolve_public
from shared.roles import Role

logger = logging.getLogger("warga.webhooks")

CLAIM_LEASE = dt.timedelta(minutes=5)
BATCH_SIZE = 20
USER_AGENT = "Warga-Webhooks/1"


def claim_due(engine: Engine, *, now: dt.datetime) -> list[int]:
    """Claim up to a batch of deliveries that are due, for this worker alone."""
    with Session(engine) as session:
        candidates = session.execute(
            select(col(WebhookDelivery.id), col(WebhookDelivery.next_attempt_at))
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(
                col(WebhookDelivery.state) == DeliveryState.PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
                col(WebhookEndpoint.status) == EndpointStatus.ACTIVE,
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(BATCH_SIZE)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        claimed = []
        for delivery_id, due in candidates:
            result = session.exec(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    col(WebhookDelivery.state) == DeliveryState.PENDING,
                    WebhookDelivery.next_attempt_at == due,
                )
                .values(next_attempt_at=now + CLAIM_LEASE)
            )
            if result.rowcount == 1:
                claimed.append(delivery_id)
        session.commit()
    return claimed


def _signature(
    endpoint: WebhookEndpoint, settings: Settings, *, message_id: str, timestamp: int, body: bytes
) -> str:
    """Signed with the current secret and, during a rotation's grace period, the previous."""
    secrets = [signing.decrypt(endpoint.secret_encrypted, app_secret_key=settings.secret_key)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > utcnow()
    ):
        secrets.append(
            signing.decrypt(endpoint.previous_secret_encrypted, app_secret_key=settings.secret_key)
        )
    return " ".join(
        signing.sign(secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets
    )


def _pinned_request(url: str, settings: Settings) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL rewritten to the checked address, with the Host header and TLS name the original
    host name gives (so certificates are still checked against the name)."""
    allow_private = settings.webhooks_allow_private_urls
    _, host, port = check_url(url, allow_private=allow_private)
    address = resolve_public(host, port, allow_private=allow_private)
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return pinned, {"host": host_header}, {"sni_hostname": host}


def send(
    http: httpx.Client, endpoint: WebhookEndpoint, message: WebhookMessage, settings: Settings
) -> tuple[int | None, str | None]:
    """One attempt: the response status, or why there was none."""
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "webhook-id": message.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": _signature(
            endpoint, settings, message_id=message.id, timestamp=timestamp, body=body
        ),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    try:
        url, host, extensions = _pinned_request(endpoint.url, settings)
        response = http.post(url, content=body, headers={**headers, **host}, extensions=extensions)
    except UnsafeUrl as reason:
        return None, f"refused: {reason}"[:300]
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:300]
    return response.status_code, None


def _tell_owner_disabled(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint's owner hears of it in their inbox: the admin who made it, or the one who
    registered the client (every admin when that is unknown)."""
    owner_id = endpoint.owner_user_id
    if owner_id is None and endpoint.owner_client_pk is not None:
        owner_id = session.get_one(ApiClient, endpoint.owner_client_pk).created_by_id
    recipients = (
        [owner_id]
        if owner_id
        else list(session.scalars(select(col(User.id)).where(col(User.role) == Role.ADMIN)))
    )
    notify(
        session,
        user_ids=recipients,
        kind="webhook.disabled",
        message=Message(
            title_id=f"Webhook {endpoint.public_id} dinonaktifkan",
            title_en=f"Webhook {endpoint.public_id} disabled",
            body_id=f"{endpoint.url} gagal menerima kiriman terus-menerus sejak "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Perbaiki lalu aktifkan kembali.",
            body_en=f"{endpoint.url} has failed every delivery since "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Fix it, then resume the webhook.",
        ),
    )


def record_attempt(
    session: Session,
    *,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    status: int | None,
    error: str | None,
    started: dt.datetime,
    duration_ms: int,
    settings: Settings,
) -> None:
    now = utcnow()
    delays = settings.webhook_retry_delays_seconds
    attempts = delivery.attempts + 1
    succeeded = status is not None and 200 <= status < 300
    if succeeded:
        state, next_attempt_at = DeliveryState.SUCCEEDED, None
    elif attempts <= len(delays):
        state, next_attempt_at = (
            DeliveryState.PENDING,
            now + dt.timedelta(seconds=delays[attempts - 1]),
        )
    else:
        state, next_attempt_at = DeliveryState.FAILED, None
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery.id)
        .values(state=state, attempts=attempts, next_attempt_at=next_attempt_at)
    )
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=started,
            response_status=status,
            error=error,
            duration_ms=duration_ms,
            next_attempt_at=next_attempt_at,
        )
    )
    if succeeded:
        session.execute(
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint.id)
            .values(failing_since=None)
        )
    else:
        _note_failure(session, endpoint, now=now, settings=settings)
    session.commit()


def _note_failure(
    session: Session, endpoint: WebhookEndpoint, *, now: dt.datetime, settings: Settings
) -> None:
    session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint.id, col(WebhookEndpoint.failing_since).is_(None))
        .values(failing_since=now)
    )
    limit = now - dt.timedelta(hours=settings.webhook_disable_after_hours)
    # Only one worker disables it (and tells the owner), however many fail at once.
    disabled = session.exec(
        update(WebhookEndpoint)
        .where(
            col(WebhookEndpoint.id) == endpoint.id,
            col(WebhookEndpoint.status) == EndpointStatus.ACTIVE,
            col(WebhookEndpoint.failing_since) <= limit,
        )
        .values(status=EndpointStatus.DISABLED, disabled_at=now)
    )
    if disabled.rowcount == 1:
        session.refresh(endpoint)
        logger.warning("webhook endpoint %s disabled after failing", endpoint.public_id)
        _tell_owner_disabled(session, endpoint)


def deliver(engine: Engine, settings: Settings, http: httpx.Client, delivery_id: int) -> None:
    with Session(engine, expire_on_commit=False) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # deleted with its endpoint since it was claimed
            return
        endpoint = session.get_one(WebhookEndpoint, delivery.endpoint_id)
        message = session.get_one(WebhookMessage, delivery.message_id)
        session.commit()  # no transaction (or row lock) held while waiting on the receiver
        started = utcnow()
        clock = time.monotonic()
        status, error = send(http, endpoint, message, settings)
        duration_ms = int((time.monotonic() - clock) * 1000)
        record_attempt(
            session,
            delivery=delivery,
            endpoint=endpoint,
            status=status,
            error=error,
            started=started,
            duration_ms=duration_ms,
            settings=settings,
        )


def run_once(engine: Engine, settings: Settings, http: httpx.Client) -> int:
    """One round: claim what is due and send it. Returns how many were sent."""
    claimed = claim_due(engine, now=utcnow())
    for delivery_id in claimed:
        try:
            deliver(engine, settings, http, delivery_id)
        except Exception:  # one broken delivery must not stop the others; it retries later
            logger.exception("webhook delivery %s failed", delivery_id)
    return len(claimed)


async def run_forever(engine: Engine, settings: Settings, changes: ChangeChannel) -> None:
    """The delivery loop of one server process (cancelled when the app shuts down).

    It sends as soon as the change channel says a transaction wrote deliveries, and also looks
    every `webhook_poll_seconds` anyway: retries fall due by the clock, and a channel that
    dropped a message must not leave a delivery waiting."""
    loop = asyncio.get_running_loop()
    due = asyncio.Event()

    def wake(_payload: Any, _origin: str) -> None:
        loop.call_soon_threadsafe(due.set)

    unsubscribe = changes.subscribe(DELIVERIES_DUE, wake)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            while True:
                due.clear()
                try:
                    sent = await asyncio.to_thread(run_once, engine, settings, http)
                except Exception:  # the database may be away for a moment: try again next round
                    logger.exception("webhook delivery round failed")
                    sent = 0
                if sent < BATCH_SIZE:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(due.wait(), settings.webhook_poll_seconds)
    finally:
        unsubscribe()

"""The outbox: every change worth telling integrators about becomes a webhook message, written
in the same transaction as the change, with one delivery per subscribed endpoint.

A session listener watches each flush for new audit entries (complaints, permits) and for
announcements reaching publication, so no service function needs to remember webhooks and a
change that rolls back leaves no message behind. Payloads carry ids, numbers, statuses,
versions and links only: never a resident's NIK, phone or e-mail, and never a confidential
complaint's content (its events reach only endpoints bound to its agency).
"""

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlmodel import col

from backend.changes import publish
from backend.complaints.models import Complaint, ComplaintEvent
from backend.config import get_settings
from backend.db import listen_once, table_of, utcnow
from backend.information.models import Announcement
from backend.microcache import remember
from backend.permits.models import PermitApplication, PermitEvent
from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.region.service import codes
from backend.webhooks.models import (
    DeliveryState,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from shared.permits import PermitStatus

# The change-channel topic that tells delivery workers new deliveries are due.
DELIVERIES_DUE = "webhooks"


class EventType(StrEnum):
    COMPLAINT_FILED = "complaint.filed"
    COMPLAINT_STATUS_CHANGED = "complaint.status_changed"
    COMPLAINT_COMMENTED = "complaint.commented"
    PERMIT_SUBMITTED = "permit.submitted"
    PERMIT_STATUS_CHANGED = "permit.status_changed"
    PERMIT_ISSUED = "permit.issued"
    PERMIT_REVOKED = "permit.revoked"
    ANNOUNCEMENT_PUBLISHED = "announcement.published"


# Permit statuses that have an event of their own, sent besides `permit.status_changed`.
_PERMIT_MILESTONES = {
    PermitStatus.SUBMITTED: EventType.PERMIT_SUBMITTED,
    PermitStatus.ISSUED: EventType.PERMIT_ISSUED,
    PermitStatus.REVOKED: EventType.PERMIT_REVOKED,
}


@dataclass(frozen=True)
class Event:
    type: EventType
    data: dict[str, Any]
    agency_id: int | None
    agency_only: bool = False  # confidential: only endpoints bound to the agency hear of it


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(13)


_Coded = TypeVar("_Coded", Agency, ComplaintCategory, PermitType)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _link(path: str) -> str:
    # The process's settings: a flush has no request to ask (WARGA_PUBLIC_URL, as the app's).
    return get_settings().public_origin + path


def _code(session: Session, model: type[_Coded], row_id: int | None) -> str | None:
    # From the kept codes of the table: naming a row costs no query.
    return codes(session, model).get(row_id) if row_id is not None else None


def _complaint_events(session: Session, entry: ComplaintEvent) -> list[Event]:
    complaint = session.get_one(Complaint, entry.complaint_id)
    if entry.action == "file":
        kinds = [EventType.COMPLAINT_FILED]
    elif entry.from_status != entry.to_status or entry.action == "forward":
        # A forward from `submitted` keeps the status but hands it to another agency.
        kinds = [EventType.COMPLAINT_STATUS_CHANGED]
    elif entry.action == "comment" and entry.public:
        kinds = [EventType.COMPLAINT_COMMENTED]
    else:
        return []
    links = {"api": _link(f"/api/v1/complaints/{complaint.id}")}
    if not complaint.confidential:
        links["public"] = _link(f"/api/v1/public/complaints/{complaint.id}")
        links["open311"] = _link(f"/open311/v2/requests/{complaint.id}.json")
    data = {
        "id": complaint.id,
        "number": complaint.tracking_number,
        "status": str(complaint.status),
        "previous_status": str(entry.from_status) if entry.from_status else None,
        "category": _code(session, ComplaintCategory, complaint.category_id),
        "agency": _code(session, Agency, complaint.agency_id),
        "confidential": complaint.confidential,
        "version": complaint.version,
        "occurred_at": _iso(entry.created_at),
        "links": links,
    }
    if kinds == [EventType.COMPLAINT_COMMENTED] and not complaint.confidential:
        data["reply"] = {"id": entry.id, "text": entry.note}
    return [
        Event(kind, data, complaint.agency_id, agency_only=complaint.confidential) for kind in kinds
    ]


def _permit_events(session: Session, entry: PermitEvent) -> list[Event]:
    if entry.from_status == entry.to_status:
        return []
    application = session.get_one(PermitApplication, entry.application_id)
    kinds = [EventType.PERMIT_STATUS_CHANGED]
    if milestone := _PERMIT_MILESTONES.get(PermitStatus(entry.to_status)):
        kinds.insert(0, milestone)
    links = {"api": _link(f"/api/v1/permits/applications/{application.id}")}
    if application.verification_code and application.status == PermitStatus.ISSUED:
        links["verification"] = _link(f"/verify/{application.verification_code}")
    data = {
        "id": application.id,
        "number": application.registration_number,
        "permit_number": application.permit_number,
        "permit_type": _code(session, PermitType, application.permit_type_id),
        "agency": _code(session, Agency, application.agency_id),
        "status": str(application.status),
        "previous_status": entry.from_status,
        "version": application.version,
        "occurred_at": _iso(entry.created_at),
        "links": links,
    }
    return [Event(kind, data, application.agency_id) for kind in kinds]


def _announcement_event(
    session: Session, announcement: Announcement, notified_at: dt.datetime
) -> Event:
    data = {
        "id": announcement.id,
        "agency": _code(session, Agency, announcement.agency_id),
        "category": str(announcement.category),
        "title": {"id": announcement.title_id, "en": announcement.title_en},
        "publish_at": _iso(announcement.publish_at),
        "version": 1,
        "occurred_at": _iso(notified_at),
        "links": {"public": _link(f"/api/v1/announcements/{announcement.id}")},
    }
    return Event(EventType.ANNOUNCEMENT_PUBLISHED, data, announcement.agency_id)


def _just_published(announcement: Announcement) -> dt.datetime | None:
    """When this flush published the announcement, or None if it did not."""
    history = inspect(announcement).attrs.notified_at.history
    published = bool(history.added) and history.added[0] is not None and not any(history.deleted)
    return history.added[0] if published else None


def _write_outbox(session: Session, _flush_context: UOWTransaction) -> None:
    # After the flush, `new` and `dirty` still list what it wrote and attribute histories still
    # show the change: the ids and row versions are the ones just written.
    if not any(isinstance(row, _TOLD) for row in (*session.new, *session.dirty)):
        return
    endpoints = _listening(session)
    if not endpoints:  # most cities, most of the time: nothing to build
        return
    events: list[Event] = []
    for row in session.new:
        if isinstance(row, ComplaintEvent):
            events += _complaint_events(session, row)
        elif isinstance(row, PermitEvent):
            events += _permit_events(session, row)
        elif isinstance(row, Announcement) and row.notified_at is not None:
            events.append(_announcement_event(session, row, row.notified_at))
    for row in session.dirty:
        if isinstance(row, Announcement) and (published := _just_published(row)):
            events.append(_announcement_event(session, row, published))
    if events:
        _fan_out(session, events, endpoints)


def install() -> None:
    """Register the outbox's session hook (``backend.database`` does, for every engine)."""
    listen_once(Session, "after_flush", _write_outbox)


# The rows whose writes may be worth telling.
_TOLD = (ComplaintEvent, PermitEvent, Announcement)


@dataclass(frozen=True)
class _Endpoint:
    id: int
    events: frozenset[str]
    agency_id: int | None  # None: the whole city's events


# Who may want to hear of an event; built once, as it is asked on every write that has one.
_LISTENING = select(
    col(WebhookEndpoint.id), col(WebhookEndpoint.events), col(WebhookEndpoint.agency_id)
).where(col(WebhookEndpoint.status) != EndpointStatus.DISABLED)


def _listening(session: Session) -> tuple[_Endpoint, ...]:
    """The endpoints that are not disabled, kept until the endpoints' table is written: every
    write with an audit entry asks, and endpoints change rarely."""

    def read() -> tuple[_Endpoint, ...]:
        rows = session.execute(_LISTENING).all()
        return tuple(_Endpoint(id_, frozenset(events), agency) for id_, events, agency in rows)

    return remember(session, "webhooks.listening", read, tables={table_of(WebhookEndpoint).name})


def _fan_out(session: Session, events: list[Event], endpoints: tuple[_Endpoint, ...]) -> None:
    now = utcnow()
    messages, deliveries = [], []
    for item in events:
        listeners = [
            endpoint.id
            for endpoint in endpoints
            if item.type in endpoint.events
            and (endpoint.agency_id is None or endpoint.agency_id == item.agency_id)
            and not (item.agency_only and endpoint.agency_id is None)
        ]
        if not listeners:
            continue
        message_id = new_message_id()
        payload = {"type": str(item.type), "timestamp": _iso(now), "data": item.data}
        messages.append(
            {"id": message_id, "event_type": str(item.type), "payload": payload, "created_at": now}
        )
        deliveries += [
            {
                "endpoint_id": endpoint_id,
                "message_id": message_id,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in listeners
        ]
    if messages:
        session.execute(insert(WebhookMessage), messages)
        session.execute(insert(WebhookDelivery), deliveries)
        publish(session, DELIVERIES_DUE)  # wakes the delivery workers once this commits

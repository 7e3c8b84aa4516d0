"""The caller's notification inbox, and a live stream of new entries (Server-Sent Events).

The stream sends each new entry as an event whose id is the entry's id. A client that
reconnects with ``Last-Event-ID`` first gets every entry it missed. The server polls the
table (so it works the same on SQLite and PostgreSQL and across several server processes),
sends a comment line when idle so that proxies keep the connection, and ends the stream when
the access token would have expired: the client reconnects with a fresh token.
"""

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.auth.dependencies import CurrentUser
from backend.config import Settings
from backend.db import INTEGER_MAX, RowId, utcnow
from backend.dependencies import LanguageDep, SessionDep, SettingsDep
from backend.errors import error_responses
from backend.notifications import service
from backend.notifications.schemas import (
    MarkedRead,
    NotificationPage,
    NotificationPublic,
    UnreadCount,
)
from backend.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

EVENT_STREAM = "text/event-stream"
RECONNECT_MS = 3000  # how long EventSource clients wait before reconnecting
BATCH = 100  # entries read per poll; a longer backlog is sent batch after batch, unpaused


@router.get("", response_model=NotificationPage, responses=error_responses(401, 422))
def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
    limit: Limit = 20,
    cursor: Cursor = None,
    unread: Annotated[bool, Query(description="Only entries not yet read")] = False,
) -> NotificationPage:
    """The caller's inbox, newest first."""
    rows, next_cursor = service.list_inbox(
        session, user=user, unread_only=unread, cursor=cursor, limit=limit
    )
    response.headers["Content-Language"] = language
    items = [NotificationPublic.from_row(row, language) for row in rows]
    return NotificationPage(items=items, next_cursor=next_cursor)


@router.get("/unread-count", response_model=UnreadCount, responses=error_responses(401))
def count_unread(user: CurrentUser, session: SessionDep) -> UnreadCount:
    """How many entries the caller has not read (the badge on the bell)."""
    return UnreadCount(unread=service.unread_count(session, user=user))


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=error_responses(401, 404),
)
def mark_read(
    notification_id: RowId,
    user: CurrentUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> NotificationPublic:
    """Mark one entry read (again is fine). Someone else's entry is a 404."""
    entry = service.mark_read(session, user=user, notification_id=notification_id, now=utcnow())
    session.commit()
    response.headers["Content-Language"] = language
    return NotificationPublic.from_row(entry, language)


@router.post("/read-all", response_model=MarkedRead, responses=error_responses(401, 422))
def mark_all_read(
    user: CurrentUser,
    session: SessionDep,
    up_to_id: Annotated[
        int | None,
        Query(ge=1, le=INTEGER_MAX, description="Only entries up to this id (the newest one seen)"),
    ] = None,
) -> MarkedRead:
    """Mark every unread entry read."""
    marked = service.mark_all_read(session, user=user, now=utcnow(), up_to_id=up_to_id)
    session.commit()
    return MarkedRead(marked=marked)


def _event(entry: NotificationPublic) -> str:
    return f"id: {entry.id}\nevent: notification\ndata: {entry.model_dump_json()}\n\n"


def _new_entries(
    engine: Engine, user_id: int, after_id: int, language: str
) -> list[tuple[int, str]]:
    """(id, event text) of the user's entries after `after_id`, oldest first."""
    with Session(engine) as session:
        entries = service.entries_after(session, user_id=user_id, after_id=after_id, limit=BATCH)
        return [
            (entry.id, _event(NotificationPublic.from_row(entry, language))) for entry in entries
        ]


async def _events(
    engine: Engine, settings: Settings, *, user_id: int, after_id: int, language: str
) -> AsyncIterator[str]:
    yield f"retry: {RECONNECT_MS}\n: connected\n\n"
    ends_at = time.monotonic() + settings.access_token_minutes * 60
    last_sent = time.monotonic()
    while time.monotonic() < ends_at:
        # The database call runs in a worker thread so that the event loop never waits on it.
        events = await anyio.to_thread.run_sync(_new_entries, engine, user_id, after_id, language)
        for entry_id, event in events:
            yield event
            after_id = entry_id  # a client that drops here resumes after this entry
        if events:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= settings.notification_heartbeat_seconds:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        if len(events) < BATCH:
            await anyio.sleep(settings.notification_poll_seconds)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {EVENT_STREAM: {}}, "description": "Server-Sent Events"},
        **error_responses(401),
    },
)
async def stream_notifications(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=INTEGER_MAX, description="Resume after this entry"),
    ] = None,
) -> StreamingResponse:
    """New inbox entries as they arrive (`event: notification`, `id` = entry id, `data` = the
    entry as JSON). Reconnect with `Last-Event-ID` to receive what was missed meanwhile;
    without it the stream starts with the next new entry."""
    if last_event_id is None:
        last_event_id = await run_in_threadpool(service.latest_id, session, user_id=user.id)
    # Give the connection back to the pool now: the stream may stay open for many minutes.
    await run_in_threadpool(session.close)
    events = _events(
        request.app.state.engine,
        settings,
        user_id=user.id,
        after_id=last_event_id,
        language=language,
    )
    return StreamingResponse(
        events,
        status_code=status.HTTP_200_OK,
        media_type=EVENT_STREAM,
        # No buffering by proxies (nginx honours X-Accel-Buffering), no caching.
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            "Content-Language": language,
        },
    )

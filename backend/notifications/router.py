"""The caller's notification inbox, and a live stream of new entries (Server-Sent Events).

The stream sends each new entry as an event whose id is the entry's id. A client that
reconnects with ``Last-Event-ID`` first gets every entry it missed. An entry whose transaction
committed after a newer entry's (ids are handed out as entries are written) is sent when it
appears, after the newer one: clients resume after the highest id they received.

An idle stream costs the database nothing: it reads only when the change channel
(``backend.changes``) says the user has a new entry or that sessions of the user ended, whichever
worker or host caused it. It then also checks that its own session still stands, and closes
when it does not (logout, password change, deactivation) or when the access token it was opened
with expires; the client reconnects with a fresh token. While the channel is down, the stream
falls back to reading every ``notification_poll_seconds``. When idle it sends a comment line so
that proxies keep the connection.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from backend.auth import service as auth_service
from backend.auth.dependencies import CurrentCaller, CurrentUser, Reader, oauth2_scheme
from backend.auth.tokens import decode_token
from backend.changes import ChangeChannel, channel_for
from backend.config import Settings
from backend.db import INTEGER_MAX, RowId, utcnow
from backend.dependencies import LanguageDep, SessionDep, SettingsDep
from backend.errors import error_responses
from backend.kept_answers import KeptAnswerRoute, keep
from backend.notifications import service
from backend.notifications.schemas import (
    MarkedRead,
    NotificationPage,
    NotificationPublic,
    UnreadCount,
)
from backend.pagination import Cursor, Limit
from backend.reads import ReadsDep
from backend.responses import model_response, rows_response
from backend.routing import PrefixRouter

# Its reads are kept for their caller between changes (`backend.kept_answers`).
router = PrefixRouter(
    prefix="/api/v1/notifications", tags=["notifications"], route_class=KeptAnswerRoute
)

EVENT_STREAM = "text/event-stream"
RECONNECT_MS = 3000  # how long EventSource clients wait before reconnecting
BATCH = 100  # entries read per poll; a longer backlog is sent batch after batch, unpaused


@router.get("", response_model=NotificationPage, responses=error_responses(401, 422))
async def list_notifications(
    user: Reader,
    reads: ReadsDep,
    language: LanguageDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    unread: Annotated[bool, Query(description="Only entries not yet read")] = False,
) -> Response:
    """The caller's inbox, newest first."""

    def page(session: Session) -> Response:
        rows, next_cursor = service.list_inbox(
            session, user=user, language=language, unread_only=unread, cursor=cursor, limit=limit
        )
        return rows_response(rows, next_cursor)

    answer = await reads.run(page)
    answer.headers["Content-Language"] = language
    return keep(answer, tables=service.inbox_tables(user.id))


@router.get("/unread-count", response_model=UnreadCount, responses=error_responses(401))
async def count_unread(user: Reader, reads: ReadsDep) -> Response:
    """How many entries the caller has not read (the badge on the bell)."""
    unread = await reads.run(lambda session: service.unread_count(session, user=user))
    return keep(model_response(UnreadCount(unread=unread)), tables=service.inbox_tables(user.id))


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


@dataclass(frozen=True)
class _Stream:
    engine: Engine
    channel: ChangeChannel
    user_id: int
    session_id: str
    language: str
    ends_at: float  # time.monotonic() when the access token expires


# An entry's id is handed out when it is written, not when its transaction commits: on
# PostgreSQL an entry can become visible after one with a higher id was already sent. A stream
# therefore keeps looking, below the ids it sent in the last `LATE_COMMIT_SECONDS`, for entries
# that appeared since. That is longer than any write transaction stays open: the statement and
# idle-in-transaction timeouts end one well before.
LATE_COMMIT_SECONDS = 60.0


class _Sent:
    """Which entries a stream has sent: all up to `settled`, and above it those in `recent`
    (id -> when sent, in time.monotonic())."""

    def __init__(self, after_id: int) -> None:
        self.settled = after_id
        self.recent: dict[int, float] = {}

    def record(self, entry_id: int, now: float) -> None:
        self.recent[entry_id] = now

    def settle(self, now: float) -> None:
        """Entries sent more than `LATE_COMMIT_SECONDS` ago: nothing below them can still
        appear, so they and everything under them are settled."""
        old = [
            entry_id for entry_id, sent in self.recent.items() if now - sent >= LATE_COMMIT_SECONDS
        ]
        if old:
            self.settled = max(self.settled, *old)
            self.recent = {i: sent for i, sent in self.recent.items() if i > self.settled}


def _catch_up(stream: _Stream, sent: _Sent) -> tuple[bool, list[tuple[int, str]]]:
    """(whether the session still stands, (id, event text) of the entries not sent yet)."""
    with Session(stream.engine) as session:
        active = auth_service.session_is_active(
            session, session_id=stream.session_id, user_id=stream.user_id
        )
        if not active:
            return False, []
        entries = service.entries_unsent(
            session,
            user_id=stream.user_id,
            after_id=sent.settled,
            sent_ids=list(sent.recent),
            limit=BATCH,
        )
        return True, [
            (entry.id, _event(NotificationPublic.from_row(entry, stream.language)))
            for entry in entries
        ]


async def _events(stream: _Stream, settings: Settings, *, after_id: int) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake(*_ignored: object) -> None:  # called on the channel's thread
        loop.call_soon_threadsafe(woken.set)

    unsubscribe = [
        stream.channel.subscribe(service.inbox_topic(stream.user_id), wake),
        stream.channel.subscribe(auth_service.sessions_revoked_topic(stream.user_id), wake),
        stream.channel.on_health_change(wake),
    ]
    try:
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        last_sent = time.monotonic()
        sent = _Sent(after_id)
        must_read = True  # once at the start: what came after `after_id` before we subscribed
        while True:
            if must_read:
                woken.clear()
                sent.settle(time.monotonic())
                try:
                    active, events = await anyio.to_thread.run_sync(_catch_up, stream, sent)
                except (PoolTimeout, OperationalError):
                    # The database is busy or away: keep the stream, read again shortly.
                    await asyncio.sleep(settings.notification_poll_seconds)
                    continue
                if not active:
                    return
                for entry_id, event in events:
                    yield event
                    sent.record(entry_id, time.monotonic())
                if events:
                    last_sent = time.monotonic()
                if len(events) == BATCH:
                    continue  # a longer backlog: the next batch at once
            now = time.monotonic()
            if now >= stream.ends_at:
                return
            wait = min(
                stream.ends_at - now,
                max(0.0, last_sent + settings.notification_heartbeat_seconds - now),
            )
            if not stream.channel.healthy:
                wait = min(wait, settings.notification_poll_seconds)
            try:
                await asyncio.wait_for(woken.wait(), timeout=wait)
                must_read = True
            except TimeoutError:
                must_read = not stream.channel.healthy
                if time.monotonic() - last_sent >= settings.notification_heartbeat_seconds:
                    yield ": keep-alive\n\n"
                    last_sent = time.monotonic()
    finally:
        for stop in unsubscribe:
            stop()


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
    caller: CurrentCaller,
    token: Annotated[str, Depends(oauth2_scheme)],
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
    without it the stream starts with the next new entry. The stream ends when the session
    ends (logout, password change, deactivation) or the access token expires."""
    user = caller.user
    if last_event_id is None:
        last_event_id = await run_in_threadpool(service.latest_id, session, user_id=user.id)
    # Give the connection back to the pool now: the stream may stay open for many minutes.
    await run_in_threadpool(session.close)
    expires_in = decode_token(settings, token, expected_type="access").expires_at - utcnow()
    stream = _Stream(
        engine=request.app.state.engine,
        channel=channel_for(settings.database_url),
        user_id=user.id,
        session_id=caller.session_id,
        language=language,
        ends_at=time.monotonic() + expires_in.total_seconds(),
    )
    events = _events(stream, settings, after_id=last_event_id)
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

"""The notification inbox. Other domains call ``notify`` (or ``notify_agency_staff``); these
write at once (one statement each), the caller commits. The inbox functions below serve the
owner of the entries."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import Insert, Select, bindparam, func, insert, update
from sqlmodel import Session, col, select

from backend import changes
from backend.accounts.models import User
from backend.db import table_of, utcnow
from backend.errors import NotFound, bilingual
from backend.microcache import note_written, rows_scoped, scope_tag
from backend.notifications.models import Notification
from backend.notifications.schemas import public_fields
from backend.pagination import after_bound, bound_cursor, page_of
from shared.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class Message:
    """A notification's text in Bahasa Indonesia and English."""

    title_id: str
    title_en: str
    body_id: str = ""
    body_en: str = ""


def _entry(
    kind: str, message: Message, subject_type: str | None, subject_id: int | None
) -> dict[str, Any]:
    """An inbox entry's columns but its owner."""
    return {
        "kind": kind,
        "title_id": message.title_id[:200],
        "title_en": message.title_en[:200],
        "body_id": message.body_id[:2000],
        "body_en": message.body_en[:2000],
        "subject_type": subject_type,
        "subject_id": subject_id,
        "created_at": utcnow(),
    }


class Sent(NamedTuple):
    """An inbox entry just written: its id and its owner."""

    id: int
    user_id: int


def _inserted(session: Session, statement: Insert, rows: Any) -> list[Sent]:
    """Run an INSERT of inbox entries in one statement, RETURNING them; once the transaction
    commits, wake their owners' live streams and drop their owners' kept inbox answers only."""
    session.flush()  # as session.execute would: what the entries tell of is written first
    entries = [Sent(*row) for row in session.connection().execute(statement, rows)]
    _written_for(session, [entry.user_id for entry in entries])
    for entry in entries:
        changes.publish(session, inbox_topic(entry.user_id))
    return entries


def _written_for(session: Session, user_ids: Iterable[int]) -> None:
    """Note a Core write to these users' entries, scoped to them (see `Notification`)."""
    table = table_of(Notification).name
    note_written(session, [table, *(scope_tag(table, "user_id", id_) for id_ in set(user_ids))])


# The two INSERTs, built once (building one costs more than running it), with every value bound
# at execution.
_entries = table_of(Notification).c
_ENTRY_COLUMNS = list(_entry("", Message("", ""), None, None))  # every column but the owner
_INSERT = insert(table_of(Notification)).returning(_entries.id, _entries.user_id)
_staff = select(
    col(User.id), *(bindparam(name, type_=_entries[name].type) for name in _ENTRY_COLUMNS)
).where(
    User.agency_id == bindparam("agency_id"),
    col(User.role).in_(bindparam("roles", expanding=True)),
    col(User.is_active),
    col(User.id).not_in(bindparam("excluded", expanding=True)),
)
_INSERT_FOR_STAFF = (
    insert(table_of(Notification))
    .from_select(["user_id", *_ENTRY_COLUMNS], _staff)
    .returning(_entries.id, _entries.user_id)
)


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    message: Message,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> list[Sent]:
    """One entry for each of `user_ids` (each once): one INSERT ... RETURNING."""
    unique = list(dict.fromkeys(user_ids))  # each user once, in order
    if not unique:
        return []
    common = _entry(kind, message, subject_type, subject_id)
    return _inserted(session, _INSERT, [{"user_id": user_id, **common} for user_id in unique])


def inbox_topic(user_id: int) -> str:
    """The change-channel topic announcing new inbox entries of this user."""
    return f"inbox:{user_id}"


def notify_agency_staff(
    session: Session,
    *,
    agency_id: int,
    kind: str,
    message: Message,
    subject_type: str | None = None,
    subject_id: int | None = None,
    roles: Iterable[Role] = STAFF_ROLES,
    exclude_user_ids: Iterable[int] = (),
) -> list[Sent]:
    """Tell the active staff of an agency (officers and supervisors unless `roles` narrows it),
    e.g. when an item is routed or forwarded to the agency; `exclude_user_ids` leaves out the
    person who did it. One INSERT ... SELECT over the agency's staff, however many they are."""
    staff = {"agency_id": agency_id, "roles": list(roles), "excluded": list(exclude_user_ids)}
    entry = _entry(kind, message, subject_type, subject_id)
    return _inserted(session, _INSERT_FOR_STAFF, {**staff, **entry})


# --- The inbox ---


# The inbox's statements, built once per shape (language, unread only, from a cursor) with the
# user, the cursor and the page size bound at execution: building one costs more than running it.
_INBOX_ORDER = (_entries.id,)


@cache
def _inbox_statement(*, language: str, unread_only: bool, after: bool) -> Select[Any]:
    statement = sa.select(*(column.label(field) for field, column in public_fields(language)))
    statement = statement.where(_entries.user_id == bindparam("user_id"))
    if unread_only:
        statement = statement.where(_entries.read_at.is_(None))
    if after:
        statement = statement.where(after_bound(_INBOX_ORDER, descending=True))
    return statement.order_by(_entries.id.desc()).limit(bindparam("rows"))


def list_inbox(
    session: Session,
    *,
    user: User,
    language: str,
    unread_only: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """The user's entries, newest first, as `NotificationPublic` fields in `language`."""
    statement = _inbox_statement(language=language, unread_only=unread_only, after=bool(cursor))
    values: dict[str, Any] = {"user_id": user.id, "rows": limit + 1}
    if cursor:
        values |= bound_cursor(_INBOX_ORDER, cursor)
    rows = [row._asdict() for row in session.connection().execute(statement, values)]
    return page_of(rows, limit=limit, key=lambda entry: [entry["id"]])


_UNREAD_COUNT = sa.select(func.count()).where(
    _entries.user_id == bindparam("user_id"), _entries.read_at.is_(None)
)


def inbox_tables(user_id: int) -> frozenset[str]:
    """What the user's inbox and its count are read from: their own entries, nothing else (a
    kept answer of theirs stays kept through everyone else's new entries)."""
    return rows_scoped(table_of(Notification).name, "user_id", user_id)


def unread_count(session: Session, *, user: User) -> int:
    count: int = session.connection().execute(_UNREAD_COUNT, {"user_id": user.id}).scalar_one()
    return count


def mark_read(
    session: Session, *, user: User, notification_id: int, now: dt.datetime
) -> Notification:
    # Through the inbox's own condition (the user's entries), like every read here.
    statement = select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id
    )
    entry = session.exec(statement).first()
    if entry is None:
        raise NotFound(bilingual("Notifikasi tidak ditemukan.", "There is no such notification."))
    if entry.read_at is None:
        entry.read_at = now
        session.add(entry)
        session.flush()
    return entry


def mark_all_read(
    session: Session, *, user: User, now: dt.datetime, up_to_id: int | None = None
) -> int:
    """Mark the user's unread entries read (only those up to `up_to_id`, when given, so that
    entries arriving meanwhile stay unread); returns how many."""
    statement = update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None)
    )
    if up_to_id is not None:
        statement = statement.where(col(Notification.id) <= up_to_id)
    session.flush()
    result = session.connection().execute(statement.values(read_at=now))
    _written_for(session, [user.id])
    return result.rowcount


def latest_id(session: Session, *, user_id: int) -> int:
    statement = select(func.max(Notification.id)).where(Notification.user_id == user_id)
    return session.exec(statement).one() or 0


def entries_unsent(
    session: Session, *, user_id: int, after_id: int, sent_ids: list[int], limit: int
) -> list[Notification]:
    """The user's entries newer than `after_id` but for `sent_ids`, oldest first (what a
    stream has yet to send)."""
    statement = (
        select(Notification)
        .where(
            Notification.user_id == user_id,
            col(Notification.id) > after_id,
            col(Notification.id).not_in(sent_ids),
        )
        .order_by(col(Notification.id))
        .limit(limit)
    )
    return list(session.exec(statement))

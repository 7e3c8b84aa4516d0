"""Inbox entries as the app shows them: in the reader's language (``Accept-Language``)."""

import datetime as dt
from typing import Any, Self

from pydantic import BaseModel
from sqlalchemy import Column

from backend.db import table_of
from backend.notifications.models import Notification

# Shown in the reader's language: the field `title` is the column `title_id` or `title_en`.
LOCALIZED = frozenset({"title", "body"})


class NotificationPublic(BaseModel):
    id: int
    kind: str  # e.g. "complaint.resolved", "permit.issued", "announcement.published"
    title: str
    body: str
    subject_type: str | None  # "complaint", "permit", "announcement" ...
    subject_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @classmethod
    def from_row(cls, entry: Notification, language: str) -> Self:
        return cls(
            **{field: getattr(entry, column.name) for field, column in public_fields(language)}
        )


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None = None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


def public_fields(language: str) -> list[tuple[str, "Column[Any]"]]:
    """Each field of `NotificationPublic`, in order, with the `notification` column it shows to
    a reader of `language` ("id" or "en"): the one place that maps the one onto the other."""
    columns = table_of(Notification).c
    return [
        (field, columns[f"{field}_{language}" if field in LOCALIZED else field])
        for field in NotificationPublic.model_fields
    ]

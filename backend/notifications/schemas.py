"""Inbox entries as the app shows them: in the reader's language (``Accept-Language``)."""

import datetime as dt
from typing import Self

from pydantic import BaseModel

from backend.notifications.models import Notification


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
        english = language == "en"
        return cls(
            id=entry.id,
            kind=entry.kind,
            title=entry.title_en if english else entry.title_id,
            body=entry.body_en if english else entry.body_id,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            created_at=entry.created_at,
            read_at=entry.read_at,
        )


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None = None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """An inbox entry. Texts are stored in both languages so the app can switch at any time."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)
    # A write to an entry drops only its owner's kept inbox answers: see backend.microcache.
    CACHE_SCOPES: ClassVar[tuple[str, ...]] = ("user_id",)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=48)  # e.g. "complaint.status_changed", "permit.issued"
    title_id: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_id: str = Field(default="", max_length=2000)
    body_en: str = Field(default="", max_length=2000)
    subject_type: str | None = Field(default=None, max_length=32)  # "complaint", "permit" ...
    subject_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

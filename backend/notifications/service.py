"""Creating inbox entries. Other domains call ``notify``; it flushes, the caller commits."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from backend.notifications.models import Notification


@dataclass(frozen=True)
class Message:
    """A notification's text in Bahasa Indonesia and English."""

    title_id: str
    title_en: str
    body_id: str = ""
    body_en: str = ""


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    message: Message,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> list[Notification]:
    entries = [
        Notification(
            user_id=user_id,
            kind=kind,
            title_id=message.title_id[:200],
            title_en=message.title_en[:200],
            body_id=message.body_id[:2000],
            body_en=message.body_en[:2000],
            subject_type=subject_type,
            subject_id=subject_id,
        )
        for user_id in dict.fromkeys(user_ids)  # each user once, in order
    ]
    session.add_all(entries)
    session.flush()
    return entries

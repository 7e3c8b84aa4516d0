"""What the reporter, followers and the agency's staff read in their inbox, in Bahasa Indonesia
and English."""

from dataclasses import dataclass

from backend.notifications.service import Message
from backend.region.models import Agency


@dataclass(frozen=True)
class Notice:
    kind: str  # the notification kind, after "complaint."
    text: Message


def _notice(kind: str, title_id: str, title_en: str, body: str | None = None) -> Notice:
    # Officers write their notes in one language; the same note serves both.
    return Notice(kind, Message(title_id, title_en, body or "", body or ""))


def filed(number: str) -> Notice:
    return _notice(
        "filed",
        f"Pengaduan {number} sudah kami terima",
        f"We have received complaint {number}",
        None,
    )


def verified(number: str, note: str | None) -> Notice:
    return _notice(
        "verified",
        f"Pengaduan {number} sudah diverifikasi",
        f"Complaint {number} was verified",
        note,
    )


def forwarded(number: str, agency: Agency, reason: str) -> Notice:
    return Notice(
        "forwarded",
        Message(
            f"Pengaduan {number} diteruskan ke {agency.name_id}",
            f"Complaint {number} was forwarded to {agency.name_en}",
            reason,
            reason,
        ),
    )


def info_requested(number: str, question: str) -> Notice:
    return _notice(
        "info_requested",
        f"Petugas membutuhkan informasi tambahan untuk pengaduan {number}",
        f"An officer needs more information on complaint {number}",
        question,
    )


def work_started(number: str, note: str | None) -> Notice:
    return _notice(
        "work_started",
        f"Pengaduan {number} sedang ditangani",
        f"Work on complaint {number} began",
        note,
    )


def resolved(number: str, note: str) -> Notice:
    return _notice(
        "resolved",
        f"Pengaduan {number} sudah diselesaikan",
        f"Complaint {number} was resolved",
        note,
    )


def rejected(number: str, note: str) -> Notice:
    return _notice(
        "rejected",
        f"Pengaduan {number} tidak dapat diproses",
        f"Complaint {number} was rejected",
        note,
    )


def duplicate(number: str, original: str) -> Notice:
    return _notice(
        "duplicate",
        f"Pengaduan {number} digabungkan dengan pengaduan {original}",
        f"Complaint {number} was merged into complaint {original}",
        None,
    )


def closed(number: str) -> Notice:
    return _notice(
        "closed", f"Pengaduan {number} sudah ditutup", f"Complaint {number} was closed", None
    )


def replied(number: str, text: str) -> Notice:
    return _notice(
        "replied", f"Balasan baru pada pengaduan {number}", f"New reply on complaint {number}", text
    )


# --- For the agency's staff ---


def routed(number: str, title: str) -> Notice:
    return _notice(
        "routed", f"Pengaduan baru {number}: {title}", f"New complaint {number}: {title}", None
    )


def forwarded_in(number: str, sender: Agency, reason: str) -> Notice:
    return Notice(
        "forwarded_in",
        Message(
            f"Pengaduan {number} diteruskan dari {sender.name_id}",
            f"Complaint {number} was forwarded from {sender.name_en}",
            reason,
            reason,
        ),
    )


def assigned(number: str) -> Notice:
    return _notice(
        "assigned",
        f"Pengaduan {number} ditugaskan kepada Anda",
        f"Complaint {number} was assigned to you",
        None,
    )

"""Complaints on the device: filing through the outbox, deadline badges, the actions a role sees.

Filing always goes through the outbox, online or not: the complaint (JSON, with its idempotency
key) is one item, its photos a second item queued after it, sent to the complaint the first one
created. One path for both cases means "waiting to send" is simply what has not been sent yet.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mobile.core.i18n import translator
from mobile.core.outbox import Outbox, OutboxItem, OutboxStatus
from shared.complaints import COMPLAINT_MACHINE
from shared.limits import MAX_PHOTOS_PER_SIDE
from shared.roles import Role
from shared.validators import haversine_m

COMPLAINT = "complaint"  # outbox kinds
COMPLAINT_PHOTOS = "complaint_photos"


def queue_complaint(
    outbox: Outbox, complaint: dict[str, Any], photos: Sequence[Path] = ()
) -> OutboxItem:
    """Queue a complaint (the API's `ComplaintCreate` body) and its photos; return the first."""
    if len(photos) > MAX_PHOTOS_PER_SIDE:
        raise ValueError(f"at most {MAX_PHOTOS_PER_SIDE} photos")
    title = complaint["title"]
    filed = outbox.add("POST", "/complaints", complaint, kind=COMPLAINT, title=title)
    if photos:
        outbox.add(
            "POST",
            "/complaints/{id}/photos",
            None,
            photos,
            after=filed,
            kind=COMPLAINT_PHOTOS,
            title=title,
        )
    return filed


def waiting_complaints(outbox: Outbox) -> list[OutboxItem]:
    """Complaints filed on this device that the server has not received yet."""
    return [item for item in outbox.items(OutboxStatus.WAITING) if item.kind == COMPLAINT]


# Badge name and the deadline flag that shows it, most urgent first.
_BADGE_FLAGS = (("overdue", "overdue"), ("paused", "clock_paused"), ("due_soon", "due_soon"))


def deadline_badge(deadline: dict[str, Any]) -> str | None:
    """`overdue`, `paused` (waiting on the reporter), `due_soon` or None, for a list badge.

    The server works these out with the region's holidays, which the app does not know.
    """
    return next((badge for badge, flag in _BADGE_FLAGS if deadline.get(flag)), None)


def visible_actions(status: str, role: str) -> list[str]:
    """The buttons `role` sees on a complaint in `status`, in the shared machine's order."""
    return COMPLAINT_MACHINE.allowed_actions(status, Role(role))


def inside_region(region: dict[str, Any], latitude: float, longitude: float) -> bool:
    """Whether a place is in the region's service area, as the server checks it on filing."""
    box = region["bounding_box"]
    return (
        box["min_lat"] <= latitude <= box["max_lat"]
        and box["min_lon"] <= longitude <= box["max_lon"]
    )


def nearest_place(region: dict[str, Any] | None, latitude: float, longitude: float) -> str | None:
    """The name of the region pack's named place (kecamatan, kelurahan) nearest to a pin."""
    places = (region or {}).get("places") or []
    if not places:
        return None
    nearest = min(
        places, key=lambda p: haversine_m(latitude, longitude, p["latitude"], p["longitude"])
    )
    return str(nearest["name"])


def describe_place(near: str | None, latitude: float, longitude: float) -> str:
    """A pin's place as a resident reads it: "Dekat Serpong · -6.31600, 106.66500"."""
    coordinates = f"{latitude:.5f}, {longitude:.5f}"
    if near is None:
        return coordinates
    return f"{translator.t('picker.near', place=near)} · {coordinates}"


def region_centre(region: dict[str, Any]) -> tuple[float, float]:
    """The middle of the region's bounding box: where a map starts without a better place."""
    box = region["bounding_box"]
    return (
        round((box["min_lat"] + box["max_lat"]) / 2, 6),
        round((box["min_lon"] + box["max_lon"]) / 2, 6),
    )

"""Request and response models of the complaints API.

Three audiences see a complaint differently: the reporter and the responsible agency's staff
(`ComplaintDetail`, staff also get internal notes and names), and the public (`PublicComplaint`,
never confidential, the reporter's name only when not anonymous).
"""

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.db import RowId
from backend.region.pack import LocalizedText
from shared.complaints import MAX_RATING, MIN_RATING, ComplaintStatus
from shared.limits import (
    COMPLAINT_ADDRESS_MAX_LENGTH,
    COMPLAINT_DESCRIPTION_MAX_LENGTH,
    COMPLAINT_DESCRIPTION_MIN_LENGTH,
    COMPLAINT_TITLE_MAX_LENGTH,
    COMPLAINT_TITLE_MIN_LENGTH,
    RATING_COMMENT_MAX_LENGTH,
    TRACKING_NUMBER_MAX_LENGTH,
)

Latitude = Field(ge=-90, le=90, allow_inf_nan=False, description="WGS 84 degrees.")
Longitude = Field(ge=-180, le=180, allow_inf_nan=False, description="WGS 84 degrees.")
Note = Field(min_length=1, max_length=4000)


class ComplaintCreate(BaseModel):
    category: str = Field(max_length=64, description="A complaint category code of the region.")
    title: str = Field(min_length=COMPLAINT_TITLE_MIN_LENGTH, max_length=COMPLAINT_TITLE_MAX_LENGTH)
    description: str = Field(
        min_length=COMPLAINT_DESCRIPTION_MIN_LENGTH, max_length=COMPLAINT_DESCRIPTION_MAX_LENGTH
    )
    latitude: float = Latitude
    longitude: float = Longitude
    address: str | None = Field(default=None, max_length=COMPLAINT_ADDRESS_MAX_LENGTH)
    answers: dict[str, Any] = Field(
        default_factory=dict, description="Answers to the category's extra questions, by code."
    )
    anonymous: bool = Field(False, description="Hide the reporter's name from the public.")
    confidential: bool = Field(False, description="Hide the whole complaint from the public.")

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "category": "jalan-rusak",
                    "title": "Lubang besar di Jl. Pahlawan",
                    "description": "Lubang sedalam 20 cm di lajur kiri, dekat halte.",
                    "latitude": -6.2901,
                    "longitude": 106.7163,
                    "address": "Jl. Pahlawan No. 12",
                    "answers": {"ukuran_lubang": "besar", "membahayakan": True},
                    "anonymous": False,
                    "confidential": False,
                }
            ]
        },
    )


# --- Actions ---


class NoteInput(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


class RequiredNote(BaseModel):
    note: str = Note


class RejectionReason(StrEnum):
    SPAM = "spam"
    OUT_OF_SCOPE = "out_of_scope"
    OTHER = "other"


class RejectInput(BaseModel):
    reason: RejectionReason
    note: str = Note


class ForwardInput(BaseModel):
    agency: str = Field(max_length=64, description="Code of the receiving agency.")
    reason: str = Note


class DuplicateInput(BaseModel):
    original: str = Field(
        max_length=TRACKING_NUMBER_MAX_LENGTH,
        description="Tracking number of the original complaint.",
    )
    note: str | None = Field(default=None, max_length=4000)


class AssignInput(BaseModel):
    assignee_id: RowId = Field(description="An officer or supervisor of the same agency.")


class CommentInput(BaseModel):
    text: str = Note
    public: bool = Field(
        True,
        description="Staff only: false makes an internal note. The reporter's additions are "
        "always seen by the reporter and staff only.",
    )


class RatingInput(BaseModel):
    rating: int = Field(ge=MIN_RATING, le=MAX_RATING)
    comment: str | None = Field(default=None, max_length=RATING_COMMENT_MAX_LENGTH)


# --- Reading ---


class Ref(BaseModel):
    code: str
    name: LocalizedText


class PersonRef(BaseModel):
    id: int
    full_name: str


class Pause(BaseModel):
    started_at: dt.datetime
    ended_at: dt.datetime | None
    working_days: int | None = Field(description="How far the deadline moved; null while paused.")


class Deadline(BaseModel):
    due_date: dt.date = Field(description="Local date (region time zone) the current stage is due.")
    overdue: bool
    due_soon: bool = Field(description="Due today or on the next working day (the queue's badge).")
    clock_paused: bool = Field(description="Waiting on the reporter: the clock stands still.")
    pauses: list[Pause]


class PhotoRef(BaseModel):
    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    from_staff: bool


class TimelineEntry(BaseModel):
    id: int
    action: str
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus | None
    note: str | None
    public: bool
    actor_role: str
    actor_name: str | None = Field(description="Shown to staff only.")
    details: dict[str, Any]
    created_at: dt.datetime


class ComplaintSummary(BaseModel):
    """A line of a queue or of "my complaints"."""

    id: int
    tracking_number: str
    status: ComplaintStatus
    open311_status: Literal["open", "closed"]
    title: str
    category: Ref
    agency: Ref
    assignee_id: int | None
    deadline: Deadline
    created_at: dt.datetime
    updated_at: dt.datetime


class ComplaintDetail(ComplaintSummary):
    """The whole complaint, for its reporter and the responsible agency's staff."""

    description: str
    address: str | None
    latitude: float
    longitude: float
    answers: dict[str, Any]
    anonymous: bool
    confidential: bool
    reporter: PersonRef | None = Field(description="Shown to staff and to the reporter.")
    assignee: PersonRef | None
    duplicate_of: str | None = Field(description="Tracking number of the original.")
    resolved_at: dt.datetime | None
    resolution_working_days: int | None = Field(
        description="Working days it took to resolve, not counting the days waiting on you."
    )
    reopen_until: dt.datetime | None = Field(description="While resolved: last moment to reopen.")
    rating: int | None
    rating_comment: str | None
    supporter_count: int
    photos: list[PhotoRef]
    timeline: list[TimelineEntry]
    allowed_actions: list[str] = Field(description="Actions the caller may take now.")
    version: int = Field(description="Row version; send it back as `If-Match` to act safely.")


class PublicComplaint(BaseModel):
    """What anyone may see of a complaint that is not confidential."""

    id: int
    tracking_number: str
    status: ComplaintStatus
    open311_status: Literal["open", "closed"]
    title: str
    description: str
    category: Ref
    agency: Ref
    latitude: float
    longitude: float
    address: str | None
    reporter_name: str | None = Field(description="Null when the reporter chose anonymity.")
    supporter_count: int
    photos: list[PhotoRef]
    created_at: dt.datetime
    updated_at: dt.datetime


class PublicComplaintDetail(PublicComplaint):
    timeline: list[TimelineEntry]


class NearbyComplaint(PublicComplaint):
    distance_m: float
    yours: bool = Field(description="Filed by the caller (false without a token).")
    supported: bool = Field(description='The caller already supports it ("me too").')


class NearbyList(BaseModel):
    items: list[NearbyComplaint]


class SupportState(BaseModel):
    supporter_count: int
    supported_by_me: bool


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (RFC 7946).")


class MapProperties(BaseModel):
    id: int
    tracking_number: str
    title: str
    category: str
    status: ComplaintStatus
    supporter_count: int
    created_at: dt.datetime


class MapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointGeometry
    properties: MapProperties


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]

"""Request and response bodies of the permits API.

Texts people read come in both languages (`LocalizedText`), so the app can switch language
without asking again. Statuses are the effective ones: an issued permit past its last valid day
reads as expired even before the daily job has recorded the expiry.
"""

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_pascal

from backend.db import BIGINT_MAX, RowId
from backend.region.pack import LocalizedText
from shared.limits import RECEIPT_NUMBER_MAX_LENGTH
from shared.permits import PermitStatus
from shared.roles import Role

# A note people read: surrounding blanks dropped, so a note of only spaces is refused.
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

# --- Requests ---


class DownloadLink(BaseModel):
    url: str = Field(description="Opens the file without the bearer header until it expires")
    expires_at: dt.datetime


class ApplicationCreate(BaseModel):
    permit_type: str = Field(max_length=64, description="Code of the permit type")
    answers: dict[str, Any] = Field(
        default_factory=dict, description="Form answers by field code; the draft may be partial"
    )


class AnswersUpdate(BaseModel):
    answers: dict[str, Any] = Field(
        description="Answers to change, by field code; null clears an answer"
    )


class CommentCreate(BaseModel):
    text: Note
    internal: bool = Field(False, description="Staff only: a note the applicant does not see")


class InformationRequest(BaseModel):
    note: Note = Field(description="What is missing and why")
    fields: list[str] = Field(default_factory=list, description="Form fields to correct")
    documents: list[str] = Field(default_factory=list, description="Document kinds to upload")


class Assignment(BaseModel):
    assignee_id: RowId = Field(description="A colleague who can take the current step")


class StepApproval(BaseModel):
    note: str | None = Field(None, max_length=2000, description="Shown to the applicant")


class Rejection(BaseModel):
    reasons: Note


class PaymentRecord(BaseModel):
    receipt_number: str = Field(min_length=1, max_length=RECEIPT_NUMBER_MAX_LENGTH)
    amount: int = Field(
        gt=0, le=BIGINT_MAX, description="Rupiah paid; must equal the amount billed"
    )
    paid_on: dt.date


class Revocation(BaseModel):
    reason: Note


# --- Responses ---


class PermitTypeRef(BaseModel):
    code: str
    name: LocalizedText


class StepView(BaseModel):
    code: str
    name: LocalizedText
    role: Role
    state: str = Field(description="done, current or pending")


class PausePeriod(BaseModel):
    paused_on: dt.date
    resumed_on: dt.date | None
    working_days: int | None = Field(description="Working days the clock stood still")


class DeadlineView(BaseModel):
    working_days: int = Field(description="The statutory time limit of the permit type")
    due_on: dt.date | None = Field(description="Due date; moves by the paused working days")
    paused: bool
    paused_working_days: int
    pauses: list[PausePeriod]
    working_days_left: int | None = Field(description="Negative when overdue")
    due_soon: bool
    overdue: bool


class DocumentView(BaseModel):
    id: int
    kind: str
    label: LocalizedText
    media_type: str
    size_bytes: int
    pages: int
    file_name: str
    uploaded_at: dt.datetime


class EventView(BaseModel):
    id: int
    action: str
    from_status: PermitStatus
    to_status: PermitStatus
    step_code: str | None
    actor_role: str
    actor_name: str | None
    note: str | None
    public: bool
    details: dict[str, Any]
    created_at: dt.datetime


class InformationRequestView(BaseModel):
    fields: list[str]
    documents: list[str]


class PaymentView(BaseModel):
    amount: int
    reference: str
    receipt_number: str | None
    paid_amount: int | None
    paid_on: dt.date | None


class PermitView(BaseModel):
    permit_number: str
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date | None
    verification_code: str = Field(description="The unguessable code printed on the certificate.")
    verification_url: str
    certificate_url: str
    revoked_at: dt.datetime | None
    revocation_reason: str | None


class ApplicationSummary(BaseModel):
    id: int
    registration_number: str
    permit_type: PermitTypeRef
    agency_code: str
    status: PermitStatus
    blds_status: str | None = Field(description="Status in the BLDS open-data vocabulary")
    current_step: StepView | None
    assignee_id: int | None = Field(description="Who holds the current step")
    version: int = Field(description="Row version; send it back as `If-Match` to act safely.")
    submitted_at: dt.datetime | None
    due_on: dt.date | None
    due_soon: bool
    overdue: bool
    created_at: dt.datetime


class ApplicationDetail(ApplicationSummary):
    applicant_name: str
    answers: dict[str, Any]
    steps: list[StepView]
    deadline: DeadlineView
    information_request: InformationRequestView | None
    documents: list[DocumentView]
    timeline: list[EventView] = Field(
        description="The audit trail: its public entries for the applicant, all for staff"
    )
    payment: PaymentView | None
    permit: PermitView | None
    renewal_of: str | None = Field(description="Registration number of the renewed permit")


class RegisterEntry(BaseModel):
    """One issued permit in the public register, named after the BLDS open-data fields."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True)

    permit_num: str
    permit_type: str
    permit_type_desc: str = Field(description="The permit type's name")
    description: str = Field(description="What a permit of this type allows")
    applied_date: dt.date
    issued_date: dt.date
    expires_date: dt.date | None
    status_current: str
    status_current_mapped: str
    original_city: str
    latitude: float | None
    longitude: float | None
    link: str = Field(description="The permit's public verification page")


class VerificationView(BaseModel):
    code: str
    result: str = Field(description="valid, expired or revoked")
    valid: bool
    permit_number: str
    permit_type: LocalizedText
    agency: LocalizedText
    holder_name: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    revoked_on: dt.date | None
    checked_at: dt.datetime


class JsonWebKeySet(BaseModel):
    keys: list[dict[str, str]]

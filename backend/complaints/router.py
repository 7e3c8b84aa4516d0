"""The complaints API for residents and staff: thin handlers that call the service and commit.

Who may call what is decided by the dependencies (see `dependencies.py`); which action is
possible in which status by the shared state machine (a 409 `transition_not_allowed` otherwise).
"""

import hashlib
from typing import Annotated, Any

from fastapi import File, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.accounts.models import User
from backend.auth.dependencies import CurrentUser, Reader
from backend.clients.service import record_channel
from backend.complaints import queries, service, views
from backend.complaints.dependencies import (
    ComplaintFiler,
    ParticipantComplaint,
    PhotoComplaint,
    QueueReader,
    ReporterComplaint,
    ResidentReader,
    ResidentUser,
    StaffComplaint,
    StaffUser,
    SupervisorUser,
    SupportableComplaint,
)
from backend.complaints.models import Complaint
from backend.complaints.queries import AssigneeFilter, DueFilter, QueueFilters
from backend.complaints.schemas import (
    AssignInput,
    CommentInput,
    ComplaintCreate,
    ComplaintDetail,
    DuplicateInput,
    ForwardInput,
    NoteInput,
    PhotoRef,
    RatingInput,
    RejectInput,
    RequiredNote,
    SupportState,
)
from backend.db import RowId, utcnow
from backend.dependencies import SessionDep, SettingsDep, in_one_hop
from backend.edge import BodyKind, accepts_upload
from backend.errors import error_responses
from backend.idempotency import IdempotencyKey, run_once
from backend.kept_answers import KeptAnswerRoute, keep, rows_of
from backend.pagination import Cursor, Limit
from backend.ratelimit import RouteLimits, limit_writes, route_limits
from backend.reads import ReadsDep
from backend.responses import model_response
from backend.routing import PrefixRouter
from backend.uploads import file_store, process_photo, read_limited
from shared.complaints import ComplaintStatus

# Its reads are kept for their caller between changes (`backend.kept_answers`).
router = PrefixRouter(prefix="/api/v1/complaints", tags=["complaints"], route_class=KeptAnswerRoute)

ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422, 429)
FilingLimits = Annotated[RouteLimits, route_limits("filing")]
JPEG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "The photo as JPEG."}
}


def _detail(session: Session, complaint: Complaint, viewer: User) -> ComplaintDetail:
    """The outcome of a write, for its author (whose loader has decided they may act on it)."""
    now = utcnow()
    clock = service.clock_for(session, now=now)
    shown = views.detail(session, complaint.id, viewer=viewer, clock=clock, now=now, readable=False)
    assert shown is not None  # the write's own complaint
    return shown


def _done(session: Session, complaint: Complaint, viewer: User) -> ComplaintDetail:
    session.commit()
    return _detail(session, complaint, viewer)


# --- Filing and reading ---


@router.post(
    "",
    response_model=ComplaintDetail,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422, 429),
)
async def file_complaint(
    data: ComplaintCreate,
    filer: ComplaintFiler,
    limits: FilingLimits,
    session: SessionDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """File a complaint; it is routed to the category's agency with a verify deadline.

    Send an `Idempotency-Key`: a retry with the same key and body returns the first complaint
    instead of filing a second one (and is not counted against the filing limit). Add photos
    afterwards with `POST /{id}/photos`. An API client (`complaints:write`) files as its own
    channel.
    """
    user = filer.reporter

    def create() -> ComplaintDetail:
        limits.check(session)
        complaint = service.file_complaint(session, reporter=user, data=data)
        if filer.client is not None:
            record_channel(session, complaint=complaint, client=filer.client, via="api")
        return _detail(session, complaint, user)

    def file() -> JSONResponse:
        return run_once(
            session,
            user_id=user.id,
            scope="complaints.file",
            key=key,
            payload=data.model_dump(mode="json"),
            create=create,
            before_commit=lambda: limits.charge(session),
        )

    return await in_one_hop(session, file)


SummaryPage = views.SummaryPage


@router.get("/mine", response_model=SummaryPage, responses=error_responses(401, 403))
async def list_my_complaints(
    user: ResidentReader, reads: ReadsDep, limit: Limit = 20, cursor: Cursor = None
) -> Response:
    """The caller's own complaints, newest first, each with its status and due date."""

    def page(session: Session) -> Response:
        now = utcnow()
        complaints, next_cursor = queries.reporters_complaints(
            session, reporter=user, cursor=cursor, limit=limit
        )
        clock = service.clock_for(session, now=now)
        answer = views.summary_page(session, complaints, next_cursor, clock=clock, now=now)
        scope = (views.COMPLAINTS, "reporter_id", user.id)
        shown = rows_of(scope, not_shown=views.NOT_IN_SUMMARIES)
        return keep(answer, until=clock.holds_until(complaints, now), tables=shown)

    return await reads.run(page)


@router.get("/queue", response_model=SummaryPage, responses=error_responses(401, 403, 422))
async def list_agency_queue(
    user: QueueReader,
    reads: ReadsDep,
    status_filter: ComplaintStatus | None = Query(None, alias="status"),
    category: str | None = Query(None, max_length=64),
    due: DueFilter | None = None,
    assigned: AssigneeFilter | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """The caller's agency's complaints (open ones unless `status` says otherwise).

    Ordered by due date, then age. `due=overdue` or `due=due_soon` (due today or the next
    working day); `assigned=me` or `assigned=unassigned`.
    """
    filters = QueueFilters(status=status_filter, category=category, due=due, assignee=assigned)

    def page(session: Session) -> Response:
        now = utcnow()
        clock = service.clock_for(session, now=now)
        complaints, next_cursor = queries.agency_queue(
            session, staff=user, filters=filters, clock=clock, now=now, cursor=cursor, limit=limit
        )
        answer = views.summary_page(session, complaints, next_cursor, clock=clock, now=now)
        if filters.status is not None:
            # Which complaints read as resolved or closed turns with any reopen window of the
            # agency, not only the shown ones': read afresh each time.
            return answer
        scope = (views.COMPLAINTS, "agency_id", user.agency_id)
        shown = rows_of(scope, not_shown=views.NOT_IN_SUMMARIES)
        return keep(answer, until=clock.holds_until(complaints, now), tables=shown)

    return await reads.run(page)


@router.get("/{complaint_id}", response_model=ComplaintDetail, responses=error_responses(401, 404))
async def read_complaint(complaint_id: RowId, user: Reader, reads: ReadsDep) -> Response:
    """The whole complaint with its deadline, pauses, photos and timeline, for its reporter and
    the responsible agency's staff."""

    def read(session: Session) -> Response:
        now = utcnow()
        clock = service.clock_for(session, now=now)
        shown = views.detail(session, complaint_id, viewer=user, clock=clock, now=now)
        if shown is None:
            raise service.complaint_not_found()
        return keep(
            model_response(shown),
            until=clock.holds_until([shown], now),
            tables=rows_of(*views.detail_scopes(complaint_id), not_shown=views.NOT_IN_DETAIL),
        )

    return await reads.run(read)


# --- Photos ---


@router.post(
    "/{complaint_id}/photos",
    response_model=list[PhotoRef],
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 413, 422, 429),
    dependencies=[limit_writes("uploads")],
)
@accepts_upload(BodyKind.PHOTO)
async def upload_complaint_photos(
    complaint: ParticipantComplaint,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    files: list[UploadFile] = File(description="Up to 5 photos per complaint (JPEG/PNG/WebP)."),
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Add photos while the complaint is open: the reporter's, or the agency's (e.g. the repair).

    Each photo is checked by its content, re-encoded without EXIF (GPS included), turned
    upright and bounded to 2048 px, with a thumbnail for lists. With an `Idempotency-Key`, a
    retried upload of the same files returns the first answer instead of adding them twice.
    """
    max_bytes = settings.max_photo_mb * 1024 * 1024
    photos, digests = [], []
    for upload in files:
        data = await read_limited(upload, max_bytes=max_bytes, field="files")
        digests.append(hashlib.sha256(data).hexdigest())
        photos.append(await run_in_threadpool(process_photo, data, field="files"))

    def create() -> list[PhotoRef]:
        rows = service.add_photos(
            session,
            complaint=complaint,
            uploader=user,
            photos=photos,
            store=file_store(settings),
        )
        return [views.photo_ref(row) for row in rows]

    return await run_in_threadpool(
        run_once,
        session,
        user_id=user.id,
        scope=f"complaints.photos.{complaint.id}",
        key=key,
        payload=digests,
        create=create,
    )


def _photo_response(data: bytes) -> Response:
    # Private: a confidential complaint's photo must not land in a shared cache.
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get(
    "/{complaint_id}/photos/{photo_id}",
    response_class=Response,
    response_model=None,
    responses={**JPEG, **error_responses(404)},
)
def read_complaint_photo(
    photo_id: RowId, complaint: PhotoComplaint, session: SessionDep, settings: SettingsDep
) -> Response:
    """A photo of a complaint the caller may see (anyone, unless the complaint is confidential)."""
    photo = service.get_photo(session, complaint=complaint, photo_id=photo_id)
    return _photo_response(file_store(settings).read(photo.file_key))


@router.get(
    "/{complaint_id}/photos/{photo_id}/thumbnail",
    response_class=Response,
    response_model=None,
    responses={**JPEG, **error_responses(404)},
)
def read_complaint_photo_thumbnail(
    photo_id: RowId, complaint: PhotoComplaint, session: SessionDep, settings: SettingsDep
) -> Response:
    """The photo's thumbnail (at most 320 px), for lists."""
    photo = service.get_photo(session, complaint=complaint, photo_id=photo_id)
    return _photo_response(file_store(settings).read(photo.thumbnail_key))


# --- Conversation and support ---


@router.post(
    "/{complaint_id}/comments",
    response_model=ComplaintDetail,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
    dependencies=[limit_writes("comments")],
)
def add_complaint_comment(
    data: CommentInput, complaint: ParticipantComplaint, user: CurrentUser, session: SessionDep
) -> ComplaintDetail:
    """Staff: a public reply (`public: true`) or an internal note. Reporter: more information."""
    service.comment(session, complaint=complaint, actor=user, data=data)
    return _done(session, complaint, user)


@router.put(
    "/{complaint_id}/support",
    response_model=SupportState,
    responses=error_responses(401, 403, 404, 409, 429),
    dependencies=[limit_writes("support")],
)
def support_complaint(
    complaint: SupportableComplaint, user: ResidentUser, session: SessionDep
) -> SupportState:
    """Say "me too" on a public complaint; counted once per resident however often sent."""
    service.support(session, complaint=complaint, resident=user)
    session.commit()
    count = service.supporter_counts(session, complaint_ids=[complaint.id]).get(complaint.id, 0)
    return SupportState(supporter_count=count, supported_by_me=True)


# --- Staff actions ---


@router.post(
    "/{complaint_id}/actions/verify", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def verify_complaint(
    data: NoteInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Confirm the report is genuine and in scope; the follow-up deadline starts."""
    service.verify(session, complaint=complaint, actor=user, note=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/forward", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def forward_complaint(
    data: ForwardInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Hand it to the right agency with a reason; it restarts in that agency's queue.

    The answer is the complaint as it stands; the forwarding agency no longer sees it after.
    """
    service.forward(session, complaint=complaint, actor=user, data=data)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/request-info", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def request_complaint_info(
    data: RequiredNote, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Ask the reporter a question (the note); the deadline clock pauses until they answer."""
    service.request_info(session, complaint=complaint, actor=user, question=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/start-work", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def start_complaint_work(
    data: NoteInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    service.start_work(session, complaint=complaint, actor=user, note=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/resolve", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def resolve_complaint(
    data: RequiredNote, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Resolved, with a public note (upload a photo of the result first, if there is one)."""
    service.resolve(session, complaint=complaint, actor=user, note=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/reject", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def reject_complaint(
    data: RejectInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Reject as spam, out of scope or otherwise, with a reason the reporter reads."""
    service.reject(session, complaint=complaint, actor=user, data=data)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/mark-duplicate",
    response_model=ComplaintDetail,
    responses=ACTION_ERRORS,
)
def mark_complaint_duplicate(
    data: DuplicateInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Link it to the original; its reporter and supporters now support the original."""
    service.mark_duplicate(session, complaint=complaint, actor=user, data=data)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/close", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def close_complaint(
    data: NoteInput, complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Close a resolved complaint before the reopen window ends."""
    service.close(session, complaint=complaint, actor=user, note=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/claim", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def claim_complaint(
    complaint: StaffComplaint, user: StaffUser, session: SessionDep
) -> ComplaintDetail:
    """Take the complaint on yourself."""
    service.claim(session, complaint=complaint, actor=user)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/assign", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def assign_complaint(
    data: AssignInput, complaint: StaffComplaint, user: SupervisorUser, session: SessionDep
) -> ComplaintDetail:
    """Supervisors: hand the complaint to a colleague of the same agency."""
    service.assign(session, complaint=complaint, actor=user, assignee_id=data.assignee_id)
    return _done(session, complaint, user)


# --- The reporter's actions ---


@router.post(
    "/{complaint_id}/actions/provide-info", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def provide_complaint_info(
    data: RequiredNote, complaint: ReporterComplaint, user: ResidentUser, session: SessionDep
) -> ComplaintDetail:
    """Answer the officer's question; the clock runs again, the deadline moved by the pause."""
    service.provide_info(session, complaint=complaint, actor=user, answer=data.note)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/rate", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def rate_complaint(
    data: RatingInput, complaint: ReporterComplaint, user: ResidentUser, session: SessionDep
) -> ComplaintDetail:
    """Rate the outcome of a resolved (or closed) complaint from 1 to 5."""
    service.rate(session, complaint=complaint, actor=user, data=data)
    return _done(session, complaint, user)


@router.post(
    "/{complaint_id}/actions/reopen", response_model=ComplaintDetail, responses=ACTION_ERRORS
)
def reopen_complaint(
    data: RequiredNote, complaint: ReporterComplaint, user: ResidentUser, session: SessionDep
) -> ComplaintDetail:
    """Not fixed after all: back to the agency's queue, within the region's reopen window."""
    service.reopen(session, complaint=complaint, actor=user, reason=data.note)
    return _done(session, complaint, user)

"""All rules of the complaint lifecycle and all its database work.

Functions take a Session and keyword-only arguments, flush and never commit: the router (or the
CLI) owns the transaction. Every change of state goes through `_apply`, which asks the shared
state machine, keeps the pause history and writes the audit trail; every public change tells
the reporter through the notification inbox.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.complaints import messages
from backend.complaints.deadlines import RegionClock, region_clock
from backend.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPause,
    ComplaintPhoto,
    ComplaintSupporter,
    tracking_number,
)
from backend.complaints.schemas import (
    CommentInput,
    ComplaintCreate,
    DuplicateInput,
    ForwardInput,
    RatingInput,
    RejectInput,
)
from backend.db import duplicate_tolerated, utcnow
from backend.errors import Conflict, NotFound, Unprocessable, bilingual
from backend.microcache import remember
from backend.notifications.service import notify, notify_agency_staff
from backend.region.forms import FormAnswersError, validate_form_answers
from backend.region.models import Agency, ComplaintCategory
from backend.region.service import (
    SNAPSHOT_TABLES,
    CategorySnapshot,
    ComplaintDeadlines,
    category_snapshot,
    complaint_deadlines,
    get_agency_by_code,
    region_snapshot,
)
from backend.uploads import FileStore, Photo
from shared.complaints import (
    CLOCK_PAUSED_STATUSES,
    COMPLAINT_MACHINE,
    FINAL_STATUSES,
    ComplaintStatus,
)
from shared.errors import ErrorCode
from shared.limits import MAX_PHOTOS_PER_SIDE
from shared.roles import STAFF_ROLES, SYSTEM
from shared.statemachine import TransitionNotAllowed
from shared.workdays import to_local_date


def clock_for(session: Session, *, now: dt.datetime) -> RegionClock:
    region = region_snapshot(session)
    return remember(
        session,
        ("complaints.clock", to_local_date(now, region.time_zone).year),
        lambda: region_clock(session, region=region, around=now),
        tables=SNAPSHOT_TABLES,
    )


def complaint_not_found() -> NotFound:
    """The one answer for a complaint that does not exist or that the caller may not see."""
    return NotFound(bilingual("Pengaduan tidak ditemukan.", "There is no such complaint."))


# --- Filing ---


def _category_for_filing(session: Session, code: str) -> CategorySnapshot:
    try:
        return category_snapshot(session, code=code)
    except NotFound:
        raise Unprocessable.for_field(
            "category",
            ErrorCode.VALIDATION_FAILED,
            bilingual("Kategori pengaduan tidak dikenal.", "Unknown complaint category."),
        ) from None


def file_complaint(
    session: Session, *, reporter: User, data: ComplaintCreate, now: dt.datetime | None = None
) -> Complaint:
    """A resident's new complaint, routed to its category's agency with a verify deadline."""
    now = now or utcnow()
    region = region_snapshot(session)
    category = _category_for_filing(session, data.category)
    if not region.bounding_box.contains(data.latitude, data.longitude):
        raise Unprocessable.for_field(
            "latitude",
            ErrorCode.OUTSIDE_REGION,
            bilingual(
                "Lokasi berada di luar wilayah layanan kota.",
                "The location is outside the city's service area.",
            ),
        )
    try:
        answers = validate_form_answers(category.questions, data.answers)
    except FormAnswersError as error:
        raise error.to_problem(reporter.language) from None
    clock = clock_for(session, now=now)
    deadlines = complaint_deadlines(region=region, category=category)
    complaint = Complaint(
        reporter_id=reporter.id,
        category_id=category.id,
        agency_id=category.agency_id,
        title=data.title,
        description=data.description,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        answers=answers,
        anonymous=data.anonymous,
        confidential=data.confidential,
        due_date=clock.due_after(now, deadlines.verify_working_days),
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    session.flush()  # assigns the id the tracking number is made of
    complaint.tracking_number = tracking_number(
        year=clock.local_date(now).year, complaint_id=complaint.id
    )
    _record(
        session,
        complaint,
        actor=reporter,
        action="file",
        from_status=None,
        to_status=complaint.status,
        now=now,
    )
    _tell_reporter(session, complaint, messages.filed(complaint.tracking_number))
    _tell_agency(
        session,
        complaint,
        messages.routed(complaint.tracking_number, complaint.title),
        actor=reporter,
    )
    session.flush()
    return complaint


# --- The audit trail and notifications ---


def _record(
    session: Session,
    complaint: Complaint,
    *,
    actor: User | None,
    action: str,
    from_status: ComplaintStatus | None,
    to_status: ComplaintStatus | None,
    now: dt.datetime,
    note: str | None = None,
    public: bool = True,
    details: dict[str, Any] | None = None,
) -> ComplaintEvent:
    entry = ComplaintEvent(
        complaint_id=complaint.id,
        actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else SYSTEM,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public=public,
        details=details or {},
        created_at=now,
    )
    session.add(entry)
    return entry


def _tell(
    session: Session, complaint: Complaint, user_ids: Iterable[int], message: messages.Notice
) -> None:
    notify(
        session,
        user_ids=user_ids,
        kind=f"complaint.{message.kind}",
        message=message.text,
        subject_type="complaint",
        subject_id=complaint.id,
    )


def _tell_reporter(session: Session, complaint: Complaint, message: messages.Notice) -> None:
    _tell(session, complaint, [complaint.reporter_id], message)


def _tell_agency(
    session: Session, complaint: Complaint, message: messages.Notice, *, actor: User
) -> None:
    """The officers and supervisors of the complaint's (new) agency, except whoever acted."""
    notify_agency_staff(
        session,
        agency_id=complaint.agency_id,
        kind=f"complaint.{message.kind}",
        message=message.text,
        subject_type="complaint",
        subject_id=complaint.id,
        exclude_user_ids=[actor.id],
    )


def _apply(
    session: Session,
    complaint: Complaint,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    clock: RegionClock,
    note: str | None = None,
    public: bool = True,
    details: dict[str, Any] | None = None,
) -> ComplaintStatus:
    """Take `action` if the state machine lets this actor take it now; record it.

    Leaving the paused status ends the open pause and moves the deadline by the working days it
    lasted; entering it starts a pause. Returns the status the complaint had before.
    """
    role = actor.role if actor else SYSTEM
    before = complaint.status
    try:
        after = COMPLAINT_MACHINE.target(
            action, before, role, previous=complaint.status_before_pause
        )
    except TransitionNotAllowed:
        raise Conflict(
            bilingual(
                f"Tindakan {action} tidak dapat dilakukan pada status {before}.",
                f"The action {action} is not possible while the complaint is {before}.",
            ),
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        ) from None
    if before in CLOCK_PAUSED_STATUSES and after not in CLOCK_PAUSED_STATUSES:
        _end_pause(session, complaint, now=now, clock=clock)
    if after in CLOCK_PAUSED_STATUSES and before not in CLOCK_PAUSED_STATUSES:
        complaint.status_before_pause = before
        complaint.paused_at = now
        session.add(ComplaintPause(complaint_id=complaint.id, started_at=now))
    complaint.status = ComplaintStatus(after)
    complaint.updated_at = now
    _record(
        session,
        complaint,
        actor=actor,
        action=action,
        from_status=before,
        to_status=complaint.status,
        now=now,
        note=note,
        public=public,
        details=details,
    )
    return before


def _end_pause(
    session: Session, complaint: Complaint, *, now: dt.datetime, clock: RegionClock
) -> None:
    pause = session.exec(
        select(ComplaintPause).where(
            ComplaintPause.complaint_id == complaint.id, col(ComplaintPause.ended_at).is_(None)
        )
    ).one()
    pause.ended_at = now
    pause.working_days = clock.working_days_between(pause.started_at, now)
    complaint.due_date = clock.calendar.deadline_after_pause(complaint.due_date, pause.working_days)
    complaint.status_before_pause = None
    complaint.paused_at = None


def paused_working_days(session: Session, *, complaint_id: int) -> int:
    """Working days the complaint's clock has stood still so far (ended pauses)."""
    total = session.exec(
        select(func.sum(ComplaintPause.working_days)).where(
            ComplaintPause.complaint_id == complaint_id
        )
    ).one()
    return total or 0


def _deadlines(session: Session, complaint: Complaint) -> ComplaintDeadlines:
    category = session.get_one(ComplaintCategory, complaint.category_id)
    return complaint_deadlines(region=region_snapshot(session), category=category)


def _start_follow_up(
    session: Session, complaint: Complaint, *, now: dt.datetime, clock: RegionClock
) -> None:
    days = _deadlines(session, complaint).follow_up_working_days
    complaint.due_date = clock.due_after(now, days)


# --- Officers' actions ---


def verify(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    note: str | None,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(session, complaint, actor=actor, action="verify", now=now, clock=clock, note=note)
    _start_follow_up(session, complaint, now=now, clock=clock)
    _tell_reporter(session, complaint, messages.verified(complaint.tracking_number, note))
    session.flush()


def forward(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    data: ForwardInput,
    now: dt.datetime | None = None,
) -> None:
    """Hand the complaint to another agency: it starts over in that agency's queue."""
    now = now or utcnow()
    try:
        receiver = get_agency_by_code(session, code=data.agency)
    except NotFound:
        receiver = None
    if receiver is None or receiver.id == complaint.agency_id:
        raise Unprocessable.for_field(
            "agency",
            ErrorCode.VALIDATION_FAILED,
            bilingual("Pilih instansi lain yang aktif.", "Choose another, active agency."),
        )
    sender = session.get_one(Agency, complaint.agency_id)
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="forward",
        now=now,
        clock=clock,
        note=data.reason,
        details={"from_agency": sender.code, "to_agency": receiver.code},
    )
    complaint.agency_id = receiver.id
    complaint.assignee_id = None
    days = _deadlines(session, complaint).verify_working_days
    complaint.due_date = clock.due_after(now, days)
    _tell_reporter(
        session, complaint, messages.forwarded(complaint.tracking_number, receiver, data.reason)
    )
    _tell_agency(
        session,
        complaint,
        messages.forwarded_in(complaint.tracking_number, sender, data.reason),
        actor=actor,
    )
    session.flush()


def request_info(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    question: str,
    now: dt.datetime | None = None,
) -> None:
    """Ask the reporter a question; the deadline clock stops until they answer."""
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(
        session, complaint, actor=actor, action="request_info", now=now, clock=clock, note=question
    )
    _tell_reporter(session, complaint, messages.info_requested(complaint.tracking_number, question))
    session.flush()


def start_work(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    note: str | None,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(session, complaint, actor=actor, action="start_work", now=now, clock=clock, note=note)
    _tell_reporter(session, complaint, messages.work_started(complaint.tracking_number, note))
    session.flush()


def resolve(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    note: str,
    now: dt.datetime | None = None,
) -> None:
    """Resolved with a public note; the reopen window starts now."""
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(session, complaint, actor=actor, action="resolve", now=now, clock=clock, note=note)
    complaint.resolved_at = now
    complaint.resolution_working_days = clock.working_days_taken(
        filed=complaint.created_at,
        resolved=now,
        paused=paused_working_days(session, complaint_id=complaint.id),
    )
    _tell_reporter(session, complaint, messages.resolved(complaint.tracking_number, note))
    session.flush()


def reject(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    data: RejectInput,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="reject",
        now=now,
        clock=clock,
        note=data.note,
        details={"reason": data.reason.value},
    )
    complaint.closed_at = now
    _tell_reporter(session, complaint, messages.rejected(complaint.tracking_number, data.note))
    session.flush()


def mark_duplicate(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    data: DuplicateInput,
    now: dt.datetime | None = None,
) -> None:
    """Link to the original (of the same agency); its followers hear, the original gains them."""
    now = now or utcnow()
    original = session.exec(
        select(Complaint).where(Complaint.tracking_number == data.original.strip().upper())
    ).first()
    if (
        original is None
        or original.id == complaint.id
        or original.agency_id != complaint.agency_id
        or original.status in FINAL_STATUSES
    ):
        raise Unprocessable.for_field(
            "original",
            ErrorCode.VALIDATION_FAILED,
            bilingual(
                "Pengaduan asli harus pengaduan lain yang masih berjalan di instansi yang sama.",
                "The original must be another live complaint of the same agency.",
            ),
        )
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="mark_duplicate",
        now=now,
        clock=clock,
        note=data.note,
        details={"original": original.tracking_number},
    )
    complaint.duplicate_of_id = original.id
    complaint.closed_at = now
    followers = [complaint.reporter_id, *supporter_ids(session, complaint_id=complaint.id)]
    existing = {original.reporter_id, *supporter_ids(session, complaint_id=original.id)}
    for user_id in dict.fromkeys(followers):
        if user_id not in existing:
            session.add(
                ComplaintSupporter(complaint_id=original.id, user_id=user_id, created_at=now)
            )
    _tell(
        session,
        complaint,
        followers,
        messages.duplicate(complaint.tracking_number, original.tracking_number),
    )
    session.flush()


def close(
    session: Session,
    *,
    complaint: Complaint,
    actor: User | None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Close a resolved complaint: by staff, or by the system once the reopen window ended."""
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(session, complaint, actor=actor, action="close", now=now, clock=clock, note=note)
    complaint.closed_at = now
    _tell_reporter(session, complaint, messages.closed(complaint.tracking_number))
    session.flush()


def _hand_to(
    session: Session,
    complaint: Complaint,
    *,
    actor: User,
    assignee: User,
    action: str,
    now: dt.datetime | None,
) -> None:
    """Record who now works on the complaint: an internal step, not on the public timeline."""
    now = now or utcnow()
    _apply(
        session,
        complaint,
        actor=actor,
        action=action,
        now=now,
        clock=clock_for(session, now=now),
        public=False,
        details={"assignee_id": assignee.id},
    )
    complaint.assignee_id = assignee.id
    session.flush()


def claim(
    session: Session, *, complaint: Complaint, actor: User, now: dt.datetime | None = None
) -> None:
    _hand_to(session, complaint, actor=actor, assignee=actor, action="claim", now=now)


def assign(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    assignee_id: int,
    now: dt.datetime | None = None,
) -> None:
    """A supervisor hands the complaint to a colleague of the same agency."""
    assignee = session.get(User, assignee_id)
    if (
        assignee is None
        or not assignee.is_active
        or assignee.role not in STAFF_ROLES
        or assignee.agency_id != complaint.agency_id
    ):
        raise Unprocessable.for_field(
            "assignee_id",
            ErrorCode.VALIDATION_FAILED,
            bilingual(
                "Pilih petugas aktif dari instansi yang menangani.",
                "Choose an active officer of the responsible agency.",
            ),
        )
    _hand_to(session, complaint, actor=actor, assignee=assignee, action="assign", now=now)
    if assignee.id != actor.id:
        _tell(session, complaint, [assignee.id], messages.assigned(complaint.tracking_number))
        session.flush()


def comment(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    data: CommentInput,
    now: dt.datetime | None = None,
) -> None:
    """A staff reply (public) or internal note, or the reporter adding information.

    The reporter's additions are seen by the reporter and staff, not by the public: residents
    write personal details there more often than not.
    """
    now = now or utcnow()
    is_staff = actor.role in STAFF_ROLES
    public = data.public and is_staff
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="comment",
        now=now,
        clock=clock,
        note=data.text,
        public=public,
    )
    if public:
        _tell_reporter(session, complaint, messages.replied(complaint.tracking_number, data.text))
    session.flush()


# --- The reporter's actions ---


def provide_info(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    answer: str,
    now: dt.datetime | None = None,
) -> None:
    """The reporter answers; the clock runs again with the deadline moved by the pause."""
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="provide_info",
        now=now,
        clock=clock,
        note=answer,
        public=False,
    )
    session.flush()


def reopen(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    reason: str,
    now: dt.datetime | None = None,
) -> None:
    """Back to the agency's queue (verified, with a fresh follow-up deadline) within the window."""
    now = now or utcnow()
    clock = clock_for(session, now=now)
    if clock.status_as_read(complaint, now) == ComplaintStatus.CLOSED:
        raise Conflict(
            bilingual(
                "Batas waktu untuk membuka kembali pengaduan ini sudah lewat.",
                "The time to reopen this complaint has passed.",
            ),
            code=ErrorCode.REOPEN_WINDOW_CLOSED,
        )
    _apply(session, complaint, actor=actor, action="reopen", now=now, clock=clock, note=reason)
    complaint.resolved_at = None
    complaint.resolution_working_days = None
    _start_follow_up(session, complaint, now=now, clock=clock)
    session.flush()


def rate(
    session: Session,
    *,
    complaint: Complaint,
    actor: User,
    data: RatingInput,
    now: dt.datetime | None = None,
) -> None:
    now = now or utcnow()
    clock = clock_for(session, now=now)
    _apply(
        session,
        complaint,
        actor=actor,
        action="rate",
        now=now,
        clock=clock,
        note=data.comment,
        public=False,
        details={"rating": data.rating},
    )
    complaint.rating = data.rating
    complaint.rating_comment = data.comment
    session.flush()


# --- Closing after the reopen window ---


def close_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    """Close every resolved complaint whose reopen window has passed; returns how many.

    Run by `warga complaints close-expired` and the scheduled jobs. Readers see such a
    complaint as closed already (`RegionClock.status_as_read`); this records the close: its
    timeline event, the reporter's notice and the Life Room's figures.
    """
    now = now or utcnow()
    clock = clock_for(session, now=now)
    # Claimed row by row: a run on another host (or a staff member closing one) holds its rows,
    # and this run skips them instead of failing on their changed version.
    expired = session.exec(
        select(Complaint)
        .where(
            Complaint.status == ComplaintStatus.RESOLVED,
            clock.status_column(now) == ComplaintStatus.CLOSED,
        )
        .order_by(col(Complaint.id))
        .with_for_update(skip_locked=True)
    ).all()
    for complaint in expired:
        close(session, complaint=complaint, actor=None, now=now)
    return len(expired)


# --- Supporters ---


def supporter_ids(session: Session, *, complaint_id: int) -> list[int]:
    return list(
        session.exec(
            select(ComplaintSupporter.user_id).where(
                ComplaintSupporter.complaint_id == complaint_id
            )
        )
    )


def supporter_counts(session: Session, *, complaint_ids: Iterable[int]) -> dict[int, int]:
    ids = list(complaint_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(ComplaintSupporter.complaint_id, func.count())
        .where(col(ComplaintSupporter.complaint_id).in_(ids))
        .group_by(col(ComplaintSupporter.complaint_id))
    )
    return dict(rows.all())


def supported_by(session: Session, *, user: User | None, complaint_ids: list[int]) -> set[int]:
    """Which of the complaints the user supports ("me too")."""
    if user is None or not complaint_ids:
        return set()
    return set(
        session.exec(
            select(ComplaintSupporter.complaint_id).where(
                ComplaintSupporter.user_id == user.id,
                col(ComplaintSupporter.complaint_id).in_(complaint_ids),
            )
        )
    )


def support(session: Session, *, complaint: Complaint, resident: User) -> None:
    """Add the resident's "me too"; a second time changes nothing."""
    if complaint.reporter_id == resident.id:
        raise Conflict(
            bilingual(
                "Pelapor sudah otomatis menjadi pendukung pengaduannya.",
                "Reporters already count as supporters of their own complaint.",
            )
        )
    if session.get(ComplaintSupporter, (complaint.id, resident.id)) is not None:
        return
    # Two taps at once: the second insert collides with the first, harmlessly.
    with duplicate_tolerated(session, ComplaintSupporter.__tablename__):
        session.add(ComplaintSupporter(complaint_id=complaint.id, user_id=resident.id))


# --- Photos ---


def photos_of(session: Session, *, complaint_id: int) -> list[ComplaintPhoto]:
    return list(
        session.exec(
            select(ComplaintPhoto)
            .where(ComplaintPhoto.complaint_id == complaint_id)
            .order_by(col(ComplaintPhoto.id))
        )
    )


def photo_slots_left(session: Session, *, complaint: Complaint, uploader: User) -> int:
    from_staff = uploader.role in STAFF_ROLES
    taken = session.exec(
        select(func.count()).where(
            ComplaintPhoto.complaint_id == complaint.id, ComplaintPhoto.from_staff == from_staff
        )
    ).one()
    return MAX_PHOTOS_PER_SIDE - taken


def add_photos(
    session: Session,
    *,
    complaint: Complaint,
    uploader: User,
    photos: list[Photo],
    store: FileStore,
    now: dt.datetime | None = None,
) -> list[ComplaintPhoto]:
    """Attach already-checked photos; the reporter (or staff) while the complaint is open."""
    now = now or utcnow()
    if not COMPLAINT_MACHINE.can("comment", complaint.status, uploader.role):
        raise Conflict(
            bilingual(
                "Foto hanya dapat ditambahkan selama pengaduan masih berjalan.",
                "Photos can only be added while the complaint is open.",
            ),
            code=ErrorCode.TRANSITION_NOT_ALLOWED,
        )
    if len(photos) > photo_slots_left(session, complaint=complaint, uploader=uploader):
        raise Unprocessable.for_field(
            "files",
            ErrorCode.TOO_MANY_PHOTOS,
            bilingual(
                f"Paling banyak {MAX_PHOTOS_PER_SIDE} foto per pengaduan.",
                f"At most {MAX_PHOTOS_PER_SIDE} photos per complaint.",
            ),
        )
    rows = [
        ComplaintPhoto(
            complaint_id=complaint.id,
            uploaded_by_id=uploader.id,
            from_staff=uploader.role in STAFF_ROLES,
            file_key=store.save(photo.data),
            thumbnail_key=store.save(photo.thumbnail),
            width=photo.width,
            height=photo.height,
            created_at=now,
        )
        for photo in photos
    ]
    session.add_all(rows)
    session.flush()  # the ids, for the timeline
    _record(
        session,
        complaint,
        actor=uploader,
        action="add_photos",
        from_status=None,
        to_status=None,
        now=now,
        # The agency's photos (the repair, "after") are on the public timeline, by id.
        public=uploader.role in STAFF_ROLES,
        details={"count": len(rows), "photo_ids": [row.id for row in rows]},
    )
    session.flush()
    return rows


def get_photo(session: Session, *, complaint: Complaint, photo_id: int) -> ComplaintPhoto:
    photo = session.get(ComplaintPhoto, photo_id)
    if photo is None or photo.complaint_id != complaint.id:
        raise NotFound(bilingual("Foto tidak ditemukan.", "There is no such photo."))
    return photo

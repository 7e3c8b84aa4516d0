"""Announcements and the agencies residents follow to hear of them. Functions flush; the caller
commits.

Announcements are written by admins (for any agency) and supervisors (for their own); they are
public between their publication and expiry, and their publication tells the agency's followers.
"""

import datetime as dt

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db import duplicate_tolerated
from backend.errors import Forbidden, NotFound, Unprocessable, bilingual
from backend.information import access, search
from backend.information.catalogue import agencies_by_id
from backend.information.models import AgencyFollow, Announcement, AnnouncementCategory, SearchKind
from backend.information.schemas import (
    EXPIRY_BEFORE_PUBLICATION,
    AnnouncementCreate,
    AnnouncementUpdate,
    summary,
)
from backend.notifications.service import Message, notify
from backend.pagination import after_cursor, page_of
from backend.region import service as region_service
from backend.region.models import Agency
from backend.uploads import FileStore, Photo
from shared.errors import ErrorCode
from shared.roles import Role
from shared.workdays import local_day_start

# --- Announcements ---


def list_announcements(
    session: Session,
    *,
    now: dt.datetime,
    agency_code: str | None,
    category: AnnouncementCategory | None,
    since: dt.date | None,
    until: dt.date | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Announcement], str | None]:
    """Published, unexpired announcements: pinned first, then newest first.

    The date filters are days of the region's calendar, both included.
    """
    statement = select(Announcement).where(access.published(now))
    if agency_code is not None:
        agency = region_service.get_agency_by_code(session, code=agency_code)
        statement = statement.where(Announcement.agency_id == agency.id)
    if category is not None:
        statement = statement.where(Announcement.category == category)
    if since or until:
        time_zone = region_service.region_snapshot(session).time_zone
        if since:
            start = local_day_start(since, time_zone)
            statement = statement.where(col(Announcement.publish_at) >= start)
        if until:
            end = local_day_start(until + dt.timedelta(days=1), time_zone)
            statement = statement.where(col(Announcement.publish_at) < end)
    order = [col(Announcement.pinned), col(Announcement.publish_at), col(Announcement.id)]
    statement = after_cursor(statement, order, cursor, descending=True).limit(limit + 1)
    rows = list(session.exec(statement))
    return page_of(rows, limit=limit, key=lambda a: [a.pinned, a.publish_at.isoformat(), a.id])


def get_published_announcement(
    session: Session, *, announcement_id: int, now: dt.datetime
) -> Announcement:
    statement = select(Announcement).where(
        Announcement.id == announcement_id, access.published(now)
    )
    announcement = session.exec(statement).first()
    if announcement is None:
        raise _no_announcement()
    return announcement


def _no_announcement() -> NotFound:
    return NotFound(bilingual("Pengumuman tidak ditemukan.", "There is no such announcement."))


def _writable_agency(session: Session, *, user: User, agency_code: str | None) -> Agency:
    """The agency `user` writes for: an admin names any; a supervisor has their own."""
    if user.role == Role.ADMIN:
        if agency_code is None:
            raise Unprocessable.for_field(
                "agency_code",
                ErrorCode.VALIDATION_FAILED,
                bilingual("Sebutkan instansi pengumuman ini.", "Name the announcement's agency."),
            )
        return region_service.get_agency_by_code(session, code=agency_code)
    agency = session.get_one(Agency, user.agency_id)
    if agency_code is not None and agency_code != agency.code:
        raise Forbidden(
            bilingual(
                "Kepala instansi hanya menulis pengumuman instansinya sendiri.",
                "Supervisors write announcements for their own agency only.",
            )
        )
    return agency


def announcement_for_writer(session: Session, *, announcement_id: int, user: User) -> Announcement:
    """An announcement `user` may change: any for an admin, their agency's for a supervisor."""
    statement = select(Announcement, access.writable_by(user).label("writable")).where(
        Announcement.id == announcement_id
    )
    found = session.exec(statement).first()
    if found is None:
        raise _no_announcement()
    announcement, writable = found
    if not writable:
        raise Forbidden(
            bilingual(
                "Kepala instansi hanya mengubah pengumuman instansinya sendiri.",
                "Supervisors change their own agency's announcements only.",
            )
        )
    return announcement


def create_announcement(
    session: Session, *, user: User, data: AnnouncementCreate, now: dt.datetime
) -> Announcement:
    agency = _writable_agency(session, user=user, agency_code=data.agency_code)
    announcement = Announcement(
        agency_id=agency.id,
        category=data.category,
        title_id=data.title.id,
        title_en=data.title.en,
        body_id=data.body.id,
        body_en=data.body.en,
        publish_at=data.publish_at or now,
        expires_at=data.expires_at,
        pinned=data.pinned,
        author_id=user.id,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    session.flush()
    search.index_announcement(session, announcement)
    notify_due_announcements(session, now=now)
    return announcement


def update_announcement(
    session: Session, *, announcement: Announcement, data: AnnouncementUpdate, now: dt.datetime
) -> Announcement:
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "body"):
        if (text := changes.pop(name, None)) is not None:
            changes |= {f"{name}_id": text["id"], f"{name}_en": text["en"]}
    for name, value in changes.items():
        if value is not None or name == "expires_at":
            setattr(announcement, name, value)
    if announcement.expires_at and announcement.expires_at <= announcement.publish_at:
        raise Unprocessable.for_field(
            "expires_at", ErrorCode.VALIDATION_FAILED, EXPIRY_BEFORE_PUBLICATION
        )
    announcement.updated_at = now
    session.add(announcement)
    session.flush()
    search.index_announcement(session, announcement)
    notify_due_announcements(session, now=now)
    return announcement


def delete_announcement(session: Session, *, announcement: Announcement) -> None:
    search.unindex(session, kind=SearchKind.ANNOUNCEMENT, ref_id=announcement.id)
    session.delete(announcement)
    session.flush()


def set_announcement_image(
    session: Session, *, announcement: Announcement, photo: Photo, store: FileStore
) -> Announcement:
    announcement.image_key = store.save(photo.data)
    announcement.thumbnail_key = store.save(photo.thumbnail)
    session.add(announcement)
    session.flush()
    return announcement


def image_key(announcement: Announcement, *, thumbnail: bool) -> str:
    key = announcement.thumbnail_key if thumbnail else announcement.image_key
    if key is None:
        raise NotFound(
            bilingual("Pengumuman ini tidak bergambar.", "This announcement has no image.")
        )
    return key


def notify_due_announcements(session: Session, *, now: dt.datetime) -> int:
    """Tell followers about every announcement published by `now` they have not heard of.

    Runs whenever an announcement is written; announcements scheduled for later are announced
    by ``warga announcements notify-due`` (run it every few minutes).
    """
    # Each due announcement is claimed (locked) by one run; a run on another host at the same
    # moment skips it instead of telling its followers a second time.
    due = session.exec(
        select(Announcement)
        .where(access.published(now), col(Announcement.notified_at).is_(None))
        .order_by(col(Announcement.id))
        .with_for_update(skip_locked=True)
    ).all()
    agencies = agencies_by_id(session, (a.agency_id for a in due))
    for announcement in due:
        agency = agencies[announcement.agency_id]
        followers = session.exec(
            select(AgencyFollow.user_id).where(AgencyFollow.agency_id == announcement.agency_id)
        ).all()
        notify(
            session,
            user_ids=followers,
            kind="announcement.published",
            message=Message(
                title_id=f"{agency.name_id}: {announcement.title_id}",
                title_en=f"{agency.name_en}: {announcement.title_en}",
                body_id=summary(announcement.body_id),
                body_en=summary(announcement.body_en),
            ),
            subject_type="announcement",
            subject_id=announcement.id,
        )
        announcement.notified_at = now
        session.add(announcement)
    session.flush()
    return len(due)


# --- Following agencies ---


def follow(session: Session, *, user: User, agency: Agency, now: dt.datetime) -> None:
    """Following twice is following: a concurrent second follow is no conflict."""
    if session.get(AgencyFollow, (agency.id, user.id)) is None:
        with duplicate_tolerated(session, AgencyFollow.__tablename__):
            session.add(AgencyFollow(agency_id=agency.id, user_id=user.id, created_at=now))


def unfollow(session: Session, *, user: User, agency: Agency) -> None:
    existing = session.get(AgencyFollow, (agency.id, user.id))
    if existing is not None:
        session.delete(existing)
        session.flush()


def followed_agencies(session: Session, *, user: User) -> list[Agency]:
    statement = (
        select(Agency)
        .join(AgencyFollow, col(AgencyFollow.agency_id) == Agency.id)
        .where(AgencyFollow.user_id == user.id)
        .order_by(col(Agency.position), col(Agency.id))
    )
    return list(session.exec(statement))

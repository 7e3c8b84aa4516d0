"""Rules and database work of public information. Functions flush; the caller commits.

Announcements are written by admins (for any agency) and supervisors (for their own); they are
public between their publication and expiry, and their publication tells the agency's followers.
The service catalogue starts from the region's permit types and complaint categories
(`sync_catalogue` adds a service for each one new to it) and admins edit it from there.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db import duplicate_tolerated, unique_violation
from backend.errors import Forbidden, NotFound, Unprocessable, bilingual
from backend.information import search
from backend.information.models import (
    AgencyFollow,
    Announcement,
    AnnouncementCategory,
    PublicService,
    SearchKind,
    ServiceFaq,
)
from backend.information.schemas import (
    EXPIRY_BEFORE_PUBLICATION,
    AgencyUpdate,
    AnnouncementCreate,
    AnnouncementUpdate,
    FaqWrite,
    SearchHit,
    ServiceCreate,
    ServiceUpdate,
    summary,
)
from backend.notifications.service import Message, notify
from backend.pagination import after_cursor, page_of
from backend.region import service as region_service
from backend.region.models import Agency, ComplaintCategory, InfoPage, PermitType, Region
from backend.region.pack import LocalizedText
from backend.uploads import FileStore, Photo
from shared.errors import ErrorCode
from shared.roles import Role
from shared.workdays import local_day_start

# --- Announcements ---


def _published(now: dt.datetime):
    return (
        col(Announcement.publish_at) <= now,
        (col(Announcement.expires_at).is_(None)) | (col(Announcement.expires_at) > now),
    )


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
    statement = select(Announcement).where(*_published(now))
    if agency_code is not None:
        agency = region_service.get_agency_by_code(session, code=agency_code)
        statement = statement.where(Announcement.agency_id == agency.id)
    if category is not None:
        statement = statement.where(Announcement.category == category)
    if since or until:
        time_zone = region_service.get_region(session).time_zone
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
    statement = select(Announcement).where(Announcement.id == announcement_id, *_published(now))
    announcement = session.exec(statement).first()
    if announcement is None:
        raise NotFound(bilingual("Pengumuman tidak ditemukan.", "There is no such announcement."))
    return announcement


def agencies_by_id(session: Session, ids: Iterable[int]) -> dict[int, Agency]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(wanted)))}


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
    agency = session.get(Agency, user.agency_id)
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
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(bilingual("Pengumuman tidak ditemukan.", "There is no such announcement."))
    if user.role != Role.ADMIN and announcement.agency_id != user.agency_id:
        raise Forbidden(
            bilingual(
                "Kepala instansi hanya mengubah pengumuman instansinya sendiri.",
                "Supervisors change their own agency's announcements only.",
            )
        )
    return announcement


def _index_announcement(session: Session, announcement: Announcement) -> None:
    search.index(
        session,
        kind=SearchKind.ANNOUNCEMENT,
        ref_id=announcement.id,
        titles=[announcement.title_id, announcement.title_en],
        bodies=[announcement.body_id, announcement.body_en],
        updated_at=announcement.updated_at,
        visible_from=announcement.publish_at,
        visible_until=announcement.expires_at,
    )


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
    _index_announcement(session, announcement)
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
    _index_announcement(session, announcement)
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
        .where(*_published(now), col(Announcement.notified_at).is_(None))
        .order_by(Announcement.id)
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
        .order_by(Agency.position, Agency.id)
    )
    return list(session.exec(statement))


# --- Service catalogue ---


def _pair(text_id: str, text_en: str) -> dict[str, str]:
    return {"id": text_id, "en": text_en}


def _columns(name: str, text: LocalizedText | dict[str, str]) -> dict[str, str]:
    text = LocalizedText.model_validate(text)
    return {f"{name}_id": text.id, f"{name}_en": text.en}


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _complaint_desk(agency: Agency) -> LocalizedText:
    phone = (agency.contacts or {}).get("phone")
    contact_id = f" atau telepon {phone}" if phone else ""
    contact_en = f" or call {phone}" if phone else ""
    return LocalizedText(
        id=f"Sampaikan pengaduan tentang layanan ini lewat menu Pengaduan di aplikasi Warga"
        f"{contact_id}; {agency.name_id} menjawab dalam 5 hari kerja.",
        en=f"Complain about this service through Complaints in the Warga app{contact_en}; "
        f"{agency.name_en} answers within 5 working days.",
    )


def _permit_service(permit: PermitType, agency: Agency) -> dict[str, Any]:
    days = permit.deadline_working_days
    if permit.fee:
        basis = permit.fee_basis
        fee = LocalizedText(
            id=_rupiah(permit.fee) + (f" ({basis.id})" if basis else ""),
            en=_rupiah(permit.fee) + (f" ({basis.en})" if basis else ""),
        )
    else:
        fee = LocalizedText(id="Gratis, tanpa biaya", en="Free of charge")
    procedure = [
        _pair(
            "Isi formulir dan unggah dokumen persyaratan di aplikasi Warga.",
            "Fill in the form and upload the required documents in the Warga app.",
        ),
        *(step.name.model_dump() for step in permit.review_steps()),
        _pair(
            "Izin terbit; unduh sertifikat beserta kode verifikasinya.",
            "The permit is issued; download the certificate with its verification code.",
        ),
    ]
    return {
        "code": permit.code,
        "agency_id": permit.agency_id,
        "permit_type_id": permit.id,
        **_columns("name", permit.name),
        **_columns("description", permit.description),
        "requirements": permit.requirements,
        "procedure": procedure,
        **_columns(
            "time_limit",
            _pair(
                f"{days} hari kerja sejak permohonan lengkap",
                f"{days} working days from a complete application",
            ),
        ),
        **_columns("fee", fee),
        **_columns("output", permit.output),
        **_columns("complaints", _complaint_desk(agency)),
        "position": permit.position,
    }


def _complaint_service(
    category: ComplaintCategory, agency: Agency, region: Region
) -> dict[str, Any]:
    deadlines = region_service.complaint_deadlines(region=region, category=category)
    verify, follow_up = deadlines.verify_working_days, deadlines.follow_up_working_days
    return {
        "code": f"aduan-{category.code}"[:64],  # a category may share a permit type's code
        "agency_id": category.agency_id,
        "complaint_category_id": category.id,
        **_columns("name", _pair(f"Pengaduan: {category.name_id}", f"Report: {category.name_en}")),
        **_columns("description", category.description),
        "requirements": [
            _pair("Akun Warga yang terdaftar", "A registered Warga account"),
            _pair("Lokasi kejadian pada peta", "The location on the map"),
            _pair("Foto pendukung (jika ada)", "Supporting photos (if any)"),
        ],
        "procedure": [
            _pair("Kirim pengaduan di aplikasi Warga.", "Send the report in the Warga app."),
            _pair(
                f"Petugas memverifikasi dalam {verify} hari kerja.",
                f"An officer verifies it within {verify} working days.",
            ),
            _pair(
                f"Tindak lanjut dalam {follow_up} hari kerja setelah verifikasi.",
                f"Follow-up within {follow_up} working days after verification.",
            ),
            _pair("Beri penilaian atas penyelesaiannya.", "Rate how it was resolved."),
        ],
        **_columns(
            "time_limit",
            _pair(
                f"Verifikasi {verify} hari kerja, tindak lanjut {follow_up} hari kerja",
                f"Verification {verify} working days, follow-up {follow_up} working days",
            ),
        ),
        **_columns("fee", _pair("Gratis, tanpa biaya", "Free of charge")),
        **_columns(
            "output",
            _pair("Tindak lanjut dan jawaban atas pengaduan", "Action on and answer to the report"),
        ),
        **_columns(
            "complaints",
            _pair(
                f"Tidak puas? Buka kembali pengaduan dalam {region.reopen_window_days} hari "
                "setelah diselesaikan.",
                f"Not satisfied? Reopen the report within {region.reopen_window_days} days of "
                "its resolution.",
            ),
        ),
        "position": 1000 + category.position,  # after the permits
    }


def _seed(session: Session, values: dict[str, Any]) -> None:
    # If another request seeds the same service at the same moment, its row (and index) wins.
    service = PublicService(**values)
    with duplicate_tolerated(session, PublicService.__tablename__):
        session.add(service)
    if inspect(service).persistent:
        _index_service(session, service)


def sync_catalogue(session: Session) -> None:
    """Bring the catalogue and the search index up to date with the region's tables.

    Adds a service for each active permit type and complaint category without one, and
    re-indexes agencies changed since they were indexed (a region-pack reload changes them).
    The region's tables are small, so this reads them whole.
    """
    region = session.exec(select(Region)).first()
    if region is None:
        return
    agencies = {agency.id: agency for agency in session.exec(select(Agency))}
    links = session.exec(
        select(PublicService.permit_type_id, PublicService.complaint_category_id)
    ).all()
    linked_permits = {permit_id for permit_id, _ in links}
    linked_categories = {category_id for _, category_id in links}
    for permit in session.exec(select(PermitType).where(col(PermitType.active))):
        if permit.id not in linked_permits:
            _seed(session, _permit_service(permit, agencies[permit.agency_id]))
    for category in session.exec(select(ComplaintCategory).where(col(ComplaintCategory.active))):
        if category.id not in linked_categories:
            _seed(session, _complaint_service(category, agencies[category.agency_id], region))

    _index_agencies(session, agencies.values())


def _index_agencies(session: Session, agencies: Iterable[Agency], everything: bool = False):
    """Index the agencies changed since they were indexed (or, with `everything`, all)."""
    indexed = search.indexed_versions(session, SearchKind.AGENCY)
    for agency in agencies:
        if not agency.active:
            if agency.id in indexed:
                search.unindex(session, kind=SearchKind.AGENCY, ref_id=agency.id)
        elif everything or indexed.get(agency.id) != agency.updated_at:
            search.index(
                session,
                kind=SearchKind.AGENCY,
                ref_id=agency.id,
                titles=[agency.name_id, agency.name_en],
                bodies=[agency.description_id, agency.description_en, agency.address],
                updated_at=agency.updated_at,
            )


def reindex_search(session: Session) -> int:
    """Index every searchable item again with the current stemmers (after they changed);
    returns how many items were indexed."""
    announcements = list(session.exec(select(Announcement)))
    services = list(session.exec(select(PublicService)))
    faqs = list(session.exec(select(ServiceFaq)))
    for announcement in announcements:
        _index_announcement(session, announcement)
    for service in services:
        _index_service(session, service)
    for faq in faqs:
        _index_faq(session, faq)
    agencies = list(session.exec(select(Agency)))
    _index_agencies(session, agencies, everything=True)
    return len(announcements) + len(services) + len(faqs) + len(agencies)


def update_agency(
    session: Session, *, agency: Agency, data: AgencyUpdate, now: dt.datetime
) -> Agency:
    changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    for name in ("name", "description"):
        if name in changes:
            changes |= _columns(name, changes.pop(name))
    for name, value in changes.items():
        setattr(agency, name, value)
    agency.updated_at = now
    session.add(agency)
    session.flush()
    sync_catalogue(session)  # re-indexes the agency
    return agency


def list_services(session: Session, *, agency: Agency | None = None) -> list[PublicService]:
    statement = select(PublicService).where(col(PublicService.active))
    if agency is not None:
        statement = statement.where(PublicService.agency_id == agency.id)
    return list(session.exec(statement.order_by(PublicService.position, PublicService.id)))


def services_by_agency(session: Session) -> dict[int, list[PublicService]]:
    grouped: dict[int, list[PublicService]] = defaultdict(list)
    for service in list_services(session):
        grouped[service.agency_id].append(service)
    return grouped


def get_service(session: Session, *, code: str, active_only: bool = True) -> PublicService:
    statement = select(PublicService).where(PublicService.code == code)
    if active_only:
        statement = statement.where(col(PublicService.active))
    service = session.exec(statement).first()
    if service is None:
        raise NotFound(bilingual(f"Layanan {code!r} tidak ada.", f"There is no service {code!r}."))
    return service


def faqs_by_service(session: Session, service_ids: Iterable[int]) -> dict[int, list[ServiceFaq]]:
    grouped: dict[int, list[ServiceFaq]] = defaultdict(list)
    statement = (
        select(ServiceFaq)
        .where(col(ServiceFaq.service_id).in_(set(service_ids)))
        .order_by(ServiceFaq.position, ServiceFaq.id)
    )
    for faq in session.exec(statement):
        grouped[faq.service_id].append(faq)
    return grouped


def link_codes(
    session: Session, services: Iterable[PublicService]
) -> tuple[dict[int, str], dict[int, str]]:
    """Codes of the permit types and complaint categories behind `services`, by their ids."""
    services = list(services)
    permit_ids = {s.permit_type_id for s in services if s.permit_type_id}
    category_ids = {s.complaint_category_id for s in services if s.complaint_category_id}
    permits = session.exec(
        select(PermitType.id, PermitType.code).where(col(PermitType.id).in_(permit_ids))
    ).all()
    categories = session.exec(
        select(ComplaintCategory.id, ComplaintCategory.code).where(
            col(ComplaintCategory.id).in_(category_ids)
        )
    ).all()
    return dict(permits), dict(categories)


def _index_service(session: Session, service: PublicService) -> None:
    if not service.active:
        search.unindex(session, kind=SearchKind.SERVICE, ref_id=service.id)
        return
    texts = [
        LocalizedText.model_validate(item) for item in [*service.requirements, *service.procedure]
    ]
    search.index(
        session,
        kind=SearchKind.SERVICE,
        ref_id=service.id,
        titles=[service.name_id, service.name_en],
        bodies=[
            service.description_id,
            service.description_en,
            service.output_id,
            service.output_en,
            *(text.id for text in texts),
            *(text.en for text in texts),
        ],
        updated_at=service.updated_at,
    )


def _service_columns(data: BaseModel) -> dict[str, Any]:
    """Column values of the texts given in a ServiceCreate or ServiceUpdate."""
    values = data.model_dump(exclude_unset=True)
    columns: dict[str, Any] = {}
    for name in ("name", "description", "time_limit", "fee", "output", "complaints"):
        if values.get(name) is not None:
            columns |= _columns(name, values[name])
    for name in ("requirements", "procedure", "active"):
        if values.get(name) is not None:
            columns[name] = values[name]
    return columns


def _linked_id(
    session: Session, model: type[PermitType | ComplaintCategory], code: str | None, field: str
) -> int | None:
    if code is None:
        return None
    row = session.exec(select(model).where(model.code == code)).first()
    if row is None:
        raise Unprocessable.for_field(
            field,
            ErrorCode.VALIDATION_FAILED,
            bilingual(f"{code!r} tidak dikenal.", f"Unknown {code!r}."),
        )
    return row.id


def _service_code_taken(code: str) -> Unprocessable:
    return Unprocessable.for_field(
        "code",
        ErrorCode.CONFLICT,
        bilingual(f"Layanan {code!r} sudah ada.", f"A service {code!r} exists already."),
    )


def create_service(session: Session, *, data: ServiceCreate, now: dt.datetime) -> PublicService:
    if session.exec(select(PublicService).where(PublicService.code == data.code)).first():
        raise _service_code_taken(data.code)
    agency = region_service.get_agency_by_code(session, code=data.agency_code)
    service = PublicService(
        code=data.code,
        agency_id=agency.id,
        permit_type_id=_linked_id(session, PermitType, data.permit_type_code, "permit_type_code"),
        complaint_category_id=_linked_id(
            session, ComplaintCategory, data.complaint_category_code, "complaint_category_code"
        ),
        updated_at=now,
        **_service_columns(data),
    )
    session.add(service)
    try:
        session.flush()
    except IntegrityError as error:
        taken = unique_violation(error, PublicService.__tablename__)
        if taken is None:
            raise
        if "code" in taken:  # a concurrent request created the same code since the check
            raise _service_code_taken(data.code) from None
        field = "permit_type_code" if "permit_type_id" in taken else "complaint_category_code"
        raise Unprocessable.for_field(
            field,
            ErrorCode.CONFLICT,
            bilingual(
                "Jenis izin atau kategori pengaduan ini sudah punya layanan.",
                "Another service already describes this permit type or complaint category.",
            ),
        ) from None
    _index_service(session, service)
    return service


def update_service(
    session: Session, *, service: PublicService, data: ServiceUpdate, now: dt.datetime
) -> PublicService:
    if data.agency_code is not None:
        service.agency_id = region_service.get_agency_by_code(session, code=data.agency_code).id
    for name, value in _service_columns(data).items():
        setattr(service, name, value)
    service.updated_at = now
    session.add(service)
    session.flush()
    _index_service(session, service)
    return service


def _index_faq(session: Session, faq: ServiceFaq) -> None:
    search.index(
        session,
        kind=SearchKind.FAQ,
        ref_id=faq.id,
        titles=[faq.question_id, faq.question_en],
        bodies=[faq.answer_id, faq.answer_en],
        updated_at=faq.updated_at,
    )


def add_faq(
    session: Session, *, service: PublicService, data: FaqWrite, now: dt.datetime
) -> ServiceFaq:
    faq = ServiceFaq(service_id=service.id, updated_at=now)
    return update_faq(session, faq=faq, data=data, now=now)


def get_faq(session: Session, *, faq_id: int) -> ServiceFaq:
    faq = session.get(ServiceFaq, faq_id)
    if faq is None:
        raise NotFound(bilingual("Pertanyaan tidak ditemukan.", "There is no such question."))
    return faq


def update_faq(
    session: Session, *, faq: ServiceFaq, data: FaqWrite, now: dt.datetime
) -> ServiceFaq:
    texts = _columns("question", data.question) | _columns("answer", data.answer)
    for name, value in texts.items():
        setattr(faq, name, value)
    faq.position = data.position
    faq.updated_at = now
    session.add(faq)
    session.flush()
    _index_faq(session, faq)
    return faq


def delete_faq(session: Session, *, faq: ServiceFaq) -> None:
    search.unindex(session, kind=SearchKind.FAQ, ref_id=faq.id)
    session.delete(faq)
    session.flush()


# --- Information pages ---


def list_pages(session: Session) -> list[InfoPage]:
    statement = select(InfoPage).where(col(InfoPage.active)).order_by(InfoPage.position)
    return list(session.exec(statement))


def get_page(session: Session, *, slug: str) -> InfoPage:
    statement = select(InfoPage).where(InfoPage.slug == slug, col(InfoPage.active))
    page = session.exec(statement).first()
    if page is None:
        raise NotFound(bilingual(f"Halaman {slug!r} tidak ada.", f"There is no page {slug!r}."))
    return page


# --- Search ---


def _described(
    session: Session, kind: SearchKind, ids: set[int]
) -> dict[int, tuple[str | None, LocalizedText, LocalizedText]]:
    """id -> (code, title, body) of found items of one kind."""
    if kind == SearchKind.FAQ:
        statement = (
            select(ServiceFaq, PublicService.code)
            .join(PublicService, col(PublicService.id) == ServiceFaq.service_id)
            .where(col(ServiceFaq.id).in_(ids))
        )
        return {faq.id: (code, faq.question, faq.answer) for faq, code in session.exec(statement)}
    model = {
        SearchKind.ANNOUNCEMENT: Announcement,
        SearchKind.AGENCY: Agency,
        SearchKind.SERVICE: PublicService,
    }[kind]
    rows = session.exec(select(model).where(col(model.id).in_(ids)))
    if kind == SearchKind.ANNOUNCEMENT:
        return {row.id: (None, row.title, row.body) for row in rows}
    return {row.id: (row.code, row.name, row.description) for row in rows}


def search_hits(
    session: Session, *, query: str, language: str, now: dt.datetime, limit: int
) -> list[SearchHit]:
    """The best matches of `query`, best first, described in `language`."""
    found = search.search(session, query=query, now=now, limit=limit)
    described: dict[tuple[SearchKind, int], tuple] = {}
    for kind in {kind for kind, _ in found}:
        ids = {ref_id for found_kind, ref_id in found if found_kind == kind}
        for ref_id, texts in _described(session, kind, ids).items():
            described[(kind, ref_id)] = texts
    hits = []
    for kind, ref_id in found:
        if (kind, ref_id) not in described:  # deleted since it was indexed
            continue
        code, title, body = described[(kind, ref_id)]
        hits.append(
            SearchHit(
                kind=kind,
                id=ref_id,
                code=code,
                title=title.in_language(language),
                summary=summary(body.in_language(language)),
            )
        )
    return hits

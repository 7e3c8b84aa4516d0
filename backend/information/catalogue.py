"""The city's catalogue: the agency directory, public services (Standar Pelayanan) with their
FAQs, and information pages. Functions flush; the caller commits.

The service catalogue starts from the region's permit types and complaint categories
(`sync_catalogue` adds a service for each one new to it) and admins edit it from there. Every
change is indexed for search (see `search`).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.db import duplicate_tolerated, unique_violation
from backend.errors import NotFound, Unprocessable, bilingual
from backend.information import search
from backend.information.models import PublicService, SearchKind, ServiceFaq
from backend.information.schemas import AgencyUpdate, FaqWrite, ServiceCreate, ServiceUpdate
from backend.region import service as region_service
from backend.region.models import Agency, ComplaintCategory, InfoPage, PermitType
from backend.region.pack import LocalizedText
from backend.region.service import RegionSnapshot
from shared.errors import ErrorCode

# --- Agency directory ---


def agencies_by_id(session: Session, ids: Iterable[int]) -> dict[int, Agency]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(wanted)))}


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


# --- Services and their FAQs ---


def list_services(session: Session, *, agency: Agency | None = None) -> list[PublicService]:
    statement = select(PublicService).where(col(PublicService.active))
    if agency is not None:
        statement = statement.where(PublicService.agency_id == agency.id)
    return list(
        session.exec(statement.order_by(col(PublicService.position), col(PublicService.id)))
    )


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
        .order_by(col(ServiceFaq.position), col(ServiceFaq.id))
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


_Linked = TypeVar("_Linked", PermitType, ComplaintCategory)


def _linked_id(session: Session, model: type[_Linked], code: str | None, field: str) -> int | None:
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
    search.index_service(session, service)
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
    search.index_service(session, service)
    return service


def add_faq(
    session: Session, *, service: PublicService, data: FaqWrite, now: dt.datetime
) -> ServiceFaq:
    # The texts are set by update_faq, field by field, as on an edit.
    faq = ServiceFaq(service_id=service.id, updated_at=now)  # type: ignore[call-arg]
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
    search.index_faq(session, faq)
    return faq


def delete_faq(session: Session, *, faq: ServiceFaq) -> None:
    search.unindex(session, kind=SearchKind.FAQ, ref_id=faq.id)
    session.delete(faq)
    session.flush()


# --- Seeding from the region's permit types and complaint categories ---


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
    category: ComplaintCategory, agency: Agency, region: RegionSnapshot
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
        search.index_service(session, service)


def sync_catalogue(session: Session) -> None:
    """Bring the catalogue and the search index up to date with the region's tables.

    Adds a service for each active permit type and complaint category without one, and
    re-indexes agencies changed since they were indexed (a region-pack reload changes them).
    The region's tables are small, so this reads them whole.
    """
    try:
        region = region_service.region_snapshot(session)
    except NotFound:
        return  # no pack loaded yet
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

    search.index_agencies(session, agencies.values())


# --- Information pages ---


def list_pages(session: Session) -> list[InfoPage]:
    statement = select(InfoPage).where(col(InfoPage.active)).order_by(col(InfoPage.position))
    return list(session.exec(statement))


def get_page(session: Session, *, slug: str) -> InfoPage:
    statement = select(InfoPage).where(InfoPage.slug == slug, col(InfoPage.active))
    page = session.exec(statement).first()
    if page is None:
        raise NotFound(bilingual(f"Halaman {slug!r} tidak ada.", f"There is no page {slug!r}."))
    return page

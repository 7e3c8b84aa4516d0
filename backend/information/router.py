"""Public information: announcements, agency directory, service catalogue, pages and search.

Reads need no login, answer in the reader's language (``Accept-Language``, ``Content-Language``)
and are cacheable (``ETag``, 304). Admins write for any agency; supervisors write announcements
for their own agency.
"""

from typing import Annotated, Any

from fastapi import Depends, File, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from backend.accounts.models import User
from backend.auth.dependencies import AdminUser, CurrentUser, require_roles
from backend.config import Settings
from backend.db import CalendarDay, RowId, utcnow
from backend.dependencies import LanguageDep, SessionDep, SettingsDep
from backend.edge import BodyKind, accepts_upload
from backend.errors import error_responses
from backend.http_cache import NOT_MODIFIED, cached_response, entity_tag, is_not_modified
from backend.information import announcements, catalogue
from backend.information.models import Announcement, AnnouncementCategory, PublicService
from backend.information.schemas import (
    AgencyDirectory,
    AgencyInfo,
    AgencyLabel,
    AgencyUpdate,
    AnnouncementCreate,
    AnnouncementPage,
    AnnouncementPublic,
    AnnouncementUpdate,
    FaqPublic,
    FaqWrite,
    FollowedAgencies,
    InfoPageList,
    InfoPagePublic,
    InfoPageSummary,
    SearchResults,
    ServiceCreate,
    ServiceList,
    ServicePublic,
    ServiceUpdate,
)
from backend.information.search import search_hits
from backend.pagination import Cursor, Limit
from backend.region import service as region_service
from backend.region.models import Agency
from backend.routing import PrefixRouter
from backend.uploads import file_store, process_photo, read_limited
from shared.roles import Role

router = PrefixRouter(prefix="/api/v1", tags=["information"])

WriterUser = Annotated[User, Depends(require_roles(Role.ADMIN, Role.SUPERVISOR))]
FRESH_FOR = 60  # seconds: announcements and search results may change at any time
IMAGE_MAX_AGE = 7 * 24 * 3600  # an image's URL names its content's hash, so it never changes
WRITE_ERRORS = error_responses(401, 403, 404, 422)


def _in_language(response: Response, language: str) -> None:
    response.headers["Content-Language"] = language


# --- Announcements ---


def _announcement(session: SessionDep, row: Announcement, language: str) -> AnnouncementPublic:
    agency = session.get_one(Agency, row.agency_id)
    return AnnouncementPublic.from_row(row, agency=agency, language=language)


@router.get(
    "/announcements",
    response_model=AnnouncementPage,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
def list_announcements(
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    agency: Annotated[str | None, Query(max_length=64, description="Agency code")] = None,
    category: AnnouncementCategory | None = None,
    since: Annotated[
        CalendarDay | None, Query(description="Published on or after (local date)")
    ] = None,
    until: Annotated[
        CalendarDay | None, Query(description="Published on or before (local date)")
    ] = None,
) -> Response:
    """Published, unexpired announcements: pinned first, then newest first."""
    rows, next_cursor = announcements.list_announcements(
        session,
        now=utcnow(),
        agency_code=agency,
        category=category,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    agencies = catalogue.agencies_by_id(session, (row.agency_id for row in rows))
    items = [
        AnnouncementPublic.from_row(row, agency=agencies[row.agency_id], language=language)
        for row in rows
    ]
    page = AnnouncementPage(items=items, next_cursor=next_cursor)
    return cached_response(request, page, max_age=FRESH_FOR, language=language)


@router.get(
    "/announcements/{announcement_id}",
    response_model=AnnouncementPublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_announcement(
    announcement_id: RowId, request: Request, session: SessionDep, language: LanguageDep
) -> Response:
    """One published announcement."""
    row = announcements.get_published_announcement(
        session, announcement_id=announcement_id, now=utcnow()
    )
    body = _announcement(session, row, language)
    return cached_response(request, body, max_age=FRESH_FOR, language=language)


@router.post(
    "/announcements",
    response_model=AnnouncementPublic,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)
def create_announcement(
    data: AnnouncementCreate,
    user: WriterUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> AnnouncementPublic:
    """Admins: for any agency (`agency_code`). Supervisors: for their own agency.

    Once published (now, or at `publish_at`), the agency's followers find it in their inbox.
    """
    row = announcements.create_announcement(session, user=user, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return _announcement(session, row, language)


@router.patch(
    "/announcements/{announcement_id}", response_model=AnnouncementPublic, responses=WRITE_ERRORS
)
def update_announcement(
    announcement_id: RowId,
    data: AnnouncementUpdate,
    user: WriterUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> AnnouncementPublic:
    """Change the fields given; `expires_at: null` removes the expiry."""
    row = announcements.announcement_for_writer(session, announcement_id=announcement_id, user=user)
    row = announcements.update_announcement(session, announcement=row, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return _announcement(session, row, language)


@router.delete(
    "/announcements/{announcement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404),
)
def delete_announcement(announcement_id: RowId, user: WriterUser, session: SessionDep) -> None:
    """Withdraw an announcement entirely (to end it but keep it, set `expires_at`)."""
    row = announcements.announcement_for_writer(session, announcement_id=announcement_id, user=user)
    announcements.delete_announcement(session, announcement=row)
    session.commit()


@router.put(
    "/announcements/{announcement_id}/image",
    response_model=AnnouncementPublic,
    responses={**WRITE_ERRORS, **error_responses(413)},
)
@accepts_upload(BodyKind.PHOTO)
async def set_announcement_image(
    announcement_id: RowId,
    user: WriterUser,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    response: Response,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF")],
) -> AnnouncementPublic:
    """Attach or replace the image; it is checked and re-encoded like complaint photos."""
    row = await run_in_threadpool(
        announcements.announcement_for_writer, session, announcement_id=announcement_id, user=user
    )
    data = await read_limited(file, max_bytes=settings.max_photo_mb * 1024 * 1024, field="file")
    photo = await run_in_threadpool(process_photo, data, field="file")

    def save() -> AnnouncementPublic:
        updated = announcements.set_announcement_image(
            session, announcement=row, photo=photo, store=file_store(settings)
        )
        session.commit()
        return _announcement(session, updated, language)

    _in_language(response, language)
    return await run_in_threadpool(save)


def _image_response(request: Request, settings: Settings, key: str) -> Response:
    etag = entity_tag(key.encode())
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={IMAGE_MAX_AGE}"}
    if is_not_modified(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    data = file_store(settings).read(key)
    return Response(data, media_type="image/jpeg", headers=headers)


IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "The image (JPEG)"}
}


@router.get(
    "/announcements/{announcement_id}/image",
    response_class=Response,
    response_model=None,
    responses={**IMAGE, **NOT_MODIFIED, **error_responses(404)},
)
def read_announcement_image(
    announcement_id: RowId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The announcement's image (at most 2048 px, without EXIF)."""
    row = announcements.get_published_announcement(
        session, announcement_id=announcement_id, now=utcnow()
    )
    return _image_response(request, settings, announcements.image_key(row, thumbnail=False))


@router.get(
    "/announcements/{announcement_id}/image/thumbnail",
    response_class=Response,
    response_model=None,
    responses={**IMAGE, **NOT_MODIFIED, **error_responses(404)},
)
def read_announcement_thumbnail(
    announcement_id: RowId, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The image's thumbnail (at most 320 px), for lists."""
    row = announcements.get_published_announcement(
        session, announcement_id=announcement_id, now=utcnow()
    )
    return _image_response(request, settings, announcements.image_key(row, thumbnail=True))


# --- Agency directory ---


@router.get("/directory", response_model=AgencyDirectory, responses=NOT_MODIFIED)
def list_directory(request: Request, session: SessionDep, language: LanguageDep) -> Response:
    """Every agency with its address, opening hours, contacts and services."""
    services = catalogue.services_by_agency(session)
    items = [
        AgencyInfo.from_row(agency, services=services.get(agency.id, []), language=language)
        for agency in region_service.list_agencies(session)
    ]
    return cached_response(request, AgencyDirectory(items=items), language=language)


def _agency_info(session: SessionDep, agency: Agency, language: str) -> AgencyInfo:
    services = catalogue.list_services(session, agency=agency)
    return AgencyInfo.from_row(agency, services=services, language=language)


@router.get(
    "/directory/{code}",
    response_model=AgencyInfo,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_directory_entry(
    code: str, request: Request, session: SessionDep, language: LanguageDep
) -> Response:
    """One agency of the directory."""
    agency = region_service.get_agency_by_code(session, code=code)
    return cached_response(request, _agency_info(session, agency, language), language=language)


@router.patch("/directory/{code}", response_model=AgencyInfo, responses=WRITE_ERRORS)
def update_directory_entry(
    code: str,
    data: AgencyUpdate,
    admin: AdminUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> AgencyInfo:
    """Admins: correct an agency's names, description, address, opening hours or contacts.

    Reloading the region pack brings back the pack's values; change the pack to keep them.
    """
    agency = region_service.get_agency_by_code(session, code=code)
    agency = catalogue.update_agency(session, agency=agency, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return _agency_info(session, agency, language)


@router.get("/follows", response_model=FollowedAgencies, responses=error_responses(401))
def list_followed_agencies(
    user: CurrentUser, session: SessionDep, language: LanguageDep, response: Response
) -> FollowedAgencies:
    """The agencies whose new announcements reach the caller's inbox."""
    agencies = announcements.followed_agencies(session, user=user)
    _in_language(response, language)
    return FollowedAgencies(items=[AgencyLabel.from_row(a, language) for a in agencies])


@router.put(
    "/directory/{code}/follow",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404),
)
def follow_agency(code: str, user: CurrentUser, session: SessionDep) -> None:
    """Follow an agency: its announcements land in the caller's inbox (again is fine)."""
    agency = region_service.get_agency_by_code(session, code=code)
    announcements.follow(session, user=user, agency=agency, now=utcnow())
    session.commit()


@router.delete(
    "/directory/{code}/follow",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404),
)
def unfollow_agency(code: str, user: CurrentUser, session: SessionDep) -> None:
    """Stop following an agency (not following it is fine)."""
    agency = region_service.get_agency_by_code(session, code=code)
    announcements.unfollow(session, user=user, agency=agency)
    session.commit()


# --- Service catalogue ---


def _services(
    session: SessionDep, services: list[PublicService], language: str
) -> list[ServicePublic]:
    agencies = catalogue.agencies_by_id(session, (s.agency_id for s in services))
    permit_codes, category_codes = catalogue.link_codes(session, services)
    faqs = catalogue.faqs_by_service(session, (s.id for s in services))
    return [
        ServicePublic.from_row(
            s,
            agency=agencies[s.agency_id],
            permit_type_code=permit_codes.get(s.permit_type_id) if s.permit_type_id else None,
            complaint_category_code=(
                category_codes.get(s.complaint_category_id) if s.complaint_category_id else None
            ),
            faqs=faqs.get(s.id, []),
            language=language,
        )
        for s in services
    ]


@router.get(
    "/services",
    response_model=ServiceList,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def list_services(
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    agency: Annotated[str | None, Query(max_length=64, description="Agency code")] = None,
) -> Response:
    """The service catalogue: each service's standard (Standar Pelayanan) and FAQs."""
    provider = region_service.get_agency_by_code(session, code=agency) if agency else None
    items = _services(session, catalogue.list_services(session, agency=provider), language)
    return cached_response(request, ServiceList(items=items), language=language)


@router.get(
    "/services/{code}",
    response_model=ServicePublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_service(
    code: str, request: Request, session: SessionDep, language: LanguageDep
) -> Response:
    """One service: requirements, procedure, time limit, fee, output, how to complain, FAQs."""
    [item] = _services(session, [catalogue.get_service(session, code=code)], language)
    return cached_response(request, item, language=language)


@router.post(
    "/services",
    response_model=ServicePublic,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)
def create_service(
    data: ServiceCreate,
    admin: AdminUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> ServicePublic:
    """Admins: add a service to the catalogue, optionally linked to a permit type or category."""
    created = catalogue.create_service(session, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return _services(session, [created], language)[0]


@router.patch("/services/{code}", response_model=ServicePublic, responses=WRITE_ERRORS)
def update_service(
    code: str,
    data: ServiceUpdate,
    admin: AdminUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> ServicePublic:
    """Admins: change the fields given (`active: false` takes it out of the catalogue)."""
    found = catalogue.get_service(session, code=code, active_only=False)
    updated = catalogue.update_service(session, service=found, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return _services(session, [updated], language)[0]


@router.post(
    "/services/{code}/faqs",
    response_model=FaqPublic,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)
def add_faq(
    code: str,
    data: FaqWrite,
    admin: AdminUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> FaqPublic:
    """Admins: add a frequently asked question to a service."""
    found = catalogue.get_service(session, code=code, active_only=False)
    faq = catalogue.add_faq(session, service=found, data=data, now=utcnow())
    session.commit()
    _in_language(response, language)
    return FaqPublic.from_row(faq, language)


@router.put("/faqs/{faq_id}", response_model=FaqPublic, responses=WRITE_ERRORS)
def update_faq(
    faq_id: RowId,
    data: FaqWrite,
    admin: AdminUser,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
) -> FaqPublic:
    """Admins: replace a question and its answer."""
    faq = catalogue.update_faq(
        session, faq=catalogue.get_faq(session, faq_id=faq_id), data=data, now=utcnow()
    )
    session.commit()
    _in_language(response, language)
    return FaqPublic.from_row(faq, language)


@router.delete(
    "/faqs/{faq_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404),
)
def delete_faq(faq_id: RowId, admin: AdminUser, session: SessionDep) -> None:
    """Admins: remove a question."""
    catalogue.delete_faq(session, faq=catalogue.get_faq(session, faq_id=faq_id))
    session.commit()


# --- Information pages and search ---


@router.get("/pages", response_model=InfoPageList, responses=NOT_MODIFIED)
def list_pages(request: Request, session: SessionDep, language: LanguageDep) -> Response:
    """The region's information pages (about, privacy ...), titles only."""
    items = [
        InfoPageSummary(slug=page.slug, title=page.title.in_language(language))
        for page in catalogue.list_pages(session)
    ]
    return cached_response(request, InfoPageList(items=items), language=language)


@router.get(
    "/pages/{slug}",
    response_model=InfoPagePublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_page(slug: str, request: Request, session: SessionDep, language: LanguageDep) -> Response:
    """One information page (Markdown)."""
    page = InfoPagePublic.from_row(catalogue.get_page(session, slug=slug), language)
    return cached_response(request, page, language=language)


@router.get(
    "/search",
    response_model=SearchResults,
    responses={**NOT_MODIFIED, **error_responses(422)},
)
def search(
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to look for")],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    """Announcements, services, agencies and FAQs matching every word of `q`, best first.

    Either language matches; Indonesian words match across their affixed forms
    (*pengaduan*, *mengadukan*, *aduan*).
    """
    hits = search_hits(session, query=q, language=language, now=utcnow(), limit=limit)
    results = SearchResults(query=q, items=hits)
    return cached_response(request, results, max_age=FRESH_FOR, language=language)

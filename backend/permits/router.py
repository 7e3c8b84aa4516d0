"""The permits API: applying, reviewing, paying and issuing; public verification and register.

Routes are thin: load what the caller may see (`VisibleApplication`), call `drafting`,
`workflow` or `payment`, commit, and answer with the application as the caller sees it.
"""

from functools import partial
from typing import Annotated, Any

from fastapi import Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from backend.accounts.models import User
from backend.auth import service as auth_service
from backend.auth.dependencies import CurrentCaller, CurrentUser, Reader
from backend.db import RowId
from backend.dependencies import SessionDep, SettingsDep, public_origin
from backend.edge import BodyKind, accepts_upload
from backend.errors import NotFound, error_responses
from backend.idempotency import IdempotencyKey, run_once
from backend.kept_answers import KeptAnswerRoute, keep, rows_of
from backend.pagination import Cursor, Limit, Page
from backend.permits import access, drafting, issuing, payment, queries, workflow
from backend.permits.certificates import CertificateIssuer
from backend.permits.dependencies import (
    ApplicationToActOn,
    CityKeyDep,
    FileStoreDep,
    IssuerDep,
    Language,
    ResidentUser,
    StaffUser,
    VisibleApplication,
    get_visible_application,
)
from backend.permits.models import PermitApplication
from backend.permits.register import register_page
from backend.permits.schemas import (
    AnswersUpdate,
    ApplicationCreate,
    ApplicationDetail,
    ApplicationSummary,
    Assignment,
    CommentCreate,
    DocumentView,
    DownloadLink,
    EventView,
    InformationRequest,
    JsonWebKeySet,
    PaymentRecord,
    RegisterEntry,
    Rejection,
    Revocation,
    StepApproval,
    VerificationView,
)
from backend.permits.verification import PAGE_POLICY, render_page, verify
from backend.permits.views import NOT_IN_SUMMARIES, ApplicationViews, document_view
from backend.ratelimit import limit_writes
from backend.reads import ReadsDep
from backend.region.service import region_snapshot
from backend.responses import model_response, rows_response
from backend.routing import PrefixRouter
from backend.uploads import FileStore, process_document, read_limited
from shared.permits import PermitStatus

# Its reads are kept for their caller between changes (`backend.kept_answers`).
router = PrefixRouter(prefix="/api/v1/permits", tags=["permits"], route_class=KeptAnswerRoute)

MEGABYTE = 1024 * 1024
# Problems any action on a visible application can meet: not logged in, role or step not
# theirs, not visible, wrong status or a concurrent change, bad input.
ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
# Actions that may issue a permit also need the city's signing key (503 when it is missing).
ISSUING_ERRORS = error_responses(401, 403, 404, 409, 422, 503)
FILE_CONTENT: dict[str, dict[str, Any]] = {"application/pdf": {}, "image/jpeg": {}}
# A certificate is produced just after its permit is issued: until then a 503 says when to ask
# again (in seconds), with the code `certificate_not_ready`.
CERTIFICATE_ERRORS = {
    **error_responses(401, 404),
    503: {
        **error_responses(503)[503],
        "description": "`certificate_not_ready`: the permit is issued and its certificate is "
        "being produced; ask again after `Retry-After` seconds. (Also `service_unavailable` "
        "while file storage cannot be reached.)",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before asking again",
                "schema": {"type": "integer"},
            }
        },
    },
}


def _detail(
    request: Request, session: Session, application: PermitApplication, user: User
) -> ApplicationDetail:
    return ApplicationViews(session, base_url=public_origin(request)).detail_after(
        application, viewer=user
    )


def _commit_and_show(
    request: Request, session: Session, application: PermitApplication, user: User
) -> ApplicationDetail:
    session.commit()
    return _detail(request, session, application, user)


def _commit_issuing_and_show(
    request: Request,
    session: Session,
    application: PermitApplication,
    user: User,
    issuer: CertificateIssuer,
) -> ApplicationDetail:
    """After an action that may have issued the permit: commit, then produce its certificate
    here, so the applicant usually finds it ready (`issuing` says what happens otherwise)."""
    session.commit()
    if issuing.awaits_certificate(application):
        issuing.produce_certificate(session, application=application, issuer=issuer)
    return _detail(request, session, application, user)


# --- Applying ---


@router.post(
    "/applications",
    response_model=ApplicationDetail,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422, 429),
    dependencies=[limit_writes("filing")],
)
def create_application(
    data: ApplicationCreate,
    request: Request,
    user: ResidentUser,
    session: SessionDep,
    language: Language,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a draft for a permit type; answers may be partial but must be valid."""

    def create() -> ApplicationDetail:
        application = drafting.create_draft(
            session,
            applicant=user,
            permit_type_code=data.permit_type,
            answers=data.answers,
            language=language,
        )
        return _detail(request, session, application, user)

    return run_once(
        session,
        user_id=user.id,
        scope="permits.create",
        key=idempotency_key,
        payload=data.model_dump(mode="json"),
        create=create,
    )


@router.get(
    "/applications",
    response_model=Page[ApplicationSummary],
    responses=error_responses(401, 422),
)
async def list_applications(
    request: Request,
    user: Reader,
    reads: ReadsDep,
    status_filter: Annotated[PermitStatus | None, Query(alias="status")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Residents: their own applications. Staff: their agency's. Newest first."""
    base_url = public_origin(request)
    scope = access.readable_rows(user)
    shown = None if scope is None else rows_of(scope, not_shown=NOT_IN_SUMMARIES)

    def page(session: Session) -> Response:
        applications, next_cursor = queries.list_applications(
            session, user=user, status=status_filter, cursor=cursor, limit=limit
        )
        views = ApplicationViews(session, base_url=base_url)
        answer = rows_response([views.summary(a) for a in applications], next_cursor)
        return keep(answer, until=views.holds_until, tables=shown)

    return await reads.run(page)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationDetail,
    responses=error_responses(401, 404),
)
async def get_application(
    application_id: RowId, request: Request, user: Reader, reads: ReadsDep
) -> Response:
    """The application with its steps, deadline, documents, timeline, payment and permit."""
    base_url = public_origin(request)

    def read(session: Session) -> Response:
        views = ApplicationViews(session, base_url=base_url)
        shown = views.detail(application_id, viewer=user)
        if shown is None:
            raise queries.application_not_found()
        return keep(model_response(shown), until=views.holds_until)

    return await reads.run(read)


@router.patch(
    "/applications/{application_id}", response_model=ApplicationDetail, responses=ACTION_ERRORS
)
def update_application(
    changes: AnswersUpdate,
    request: Request,
    application: ApplicationToActOn,
    user: CurrentUser,
    session: SessionDep,
    language: Language,
) -> ApplicationDetail:
    """Change answers of a draft, or the fields the reviewer asked about."""
    drafting.update_answers(
        session, application=application, user=user, changes=changes.answers, language=language
    )
    return _commit_and_show(request, session, application, user)


@router.delete(
    "/applications/{application_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409),
)
def delete_application(
    application: ApplicationToActOn, user: CurrentUser, session: SessionDep
) -> None:
    """Delete a draft (a submitted application is withdrawn instead)."""
    drafting.delete_draft(session, application=application, user=user)
    session.commit()


@router.post(
    "/applications/{application_id}/documents/{kind}",
    response_model=DocumentView,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 409, 413, 422, 429),
    dependencies=[limit_writes("uploads")],
)
@accepts_upload(BodyKind.DOCUMENT)
async def upload_document(
    kind: str,
    file: UploadFile,
    application: VisibleApplication,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: FileStoreDep,
) -> DocumentView:
    """Upload (or replace) the document of one kind: a PDF or a photo, checked by content."""
    document_kind = await run_in_threadpool(
        partial(
            drafting.document_kind_for_upload,
            session,
            application=application,
            user=user,
            kind=kind,
        )
    )
    limit_mb = min(document_kind.max_size_mb, settings.max_document_mb)
    data = await read_limited(file, max_bytes=limit_mb * MEGABYTE, field="file")

    def check_and_save() -> DocumentView:
        document = process_document(data, accepted=set(document_kind.media_types))
        row = drafting.save_document(
            session,
            application=application,
            kind=kind,
            document=document,
            file_key=store.save(document.data),
            file_name=file.filename or kind,
        )
        session.commit()
        return document_view(row, document_kind)

    return await run_in_threadpool(check_and_save)


@router.get(
    "/applications/{application_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": FILE_CONTENT}, **error_responses(401, 404)},
)
def download_document(
    document_id: RowId, application: VisibleApplication, session: SessionDep, store: FileStoreDep
) -> Response:
    """The uploaded file, as stored after checking (photos re-encoded without EXIF)."""
    document = queries.get_document(session, application=application, document_id=document_id)
    # A download, never opened in the API's origin; named by its kind, not the uploader's name.
    extension = "pdf" if document.media_type == "application/pdf" else "jpg"
    return Response(
        store.read(document.file_key),
        media_type=document.media_type,
        headers={"Content-Disposition": f'attachment; filename="{document.kind}.{extension}"'},
    )


@router.delete(
    "/applications/{application_id}/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409),
)
def delete_document(
    document_id: RowId, application: VisibleApplication, user: CurrentUser, session: SessionDep
) -> None:
    document = queries.get_document(session, application=application, document_id=document_id)
    drafting.delete_document(session, application=application, user=user, document=document)
    session.commit()


@router.post(
    "/applications/{application_id}/actions/submit",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def submit_application(
    request: Request,
    application: VisibleApplication,
    user: CurrentUser,
    session: SessionDep,
    language: Language,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Submit a complete draft; a 422 names every missing answer and document."""

    def submit() -> ApplicationDetail:
        workflow.submit(session, application=application, user=user, language=language)
        return _detail(request, session, application, user)

    return run_once(
        session,
        user_id=user.id,
        scope=f"permits.submit.{application.id}",
        key=idempotency_key,
        payload={},
        create=submit,
        status_code=status.HTTP_200_OK,
    )


@router.post(
    "/applications/{application_id}/actions/resubmit",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def resubmit_application(
    request: Request,
    application: ApplicationToActOn,
    user: CurrentUser,
    session: SessionDep,
    language: Language,
) -> ApplicationDetail:
    """Send back the application with what the reviewer asked for; the clock resumes."""
    workflow.resubmit(session, application=application, user=user, language=language)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/withdraw",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def withdraw_application(
    request: Request, application: ApplicationToActOn, user: CurrentUser, session: SessionDep
) -> ApplicationDetail:
    workflow.withdraw(session, application=application, user=user)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/renewals",
    response_model=ApplicationDetail,
    status_code=status.HTTP_201_CREATED,
    responses=ACTION_ERRORS,
)
def renew_permit(
    request: Request,
    application: VisibleApplication,
    user: CurrentUser,
    session: SessionDep,
    language: Language,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A new draft for a renewable permit, prefilled with the old permit's answers."""

    def create() -> ApplicationDetail:
        renewal = drafting.renew(
            session, application=application, applicant=user, language=language
        )
        return _detail(request, session, renewal, user)

    return run_once(
        session,
        user_id=user.id,
        scope=f"permits.renew.{application.id}",
        key=idempotency_key,
        payload={},
        create=create,
    )


@router.post(
    "/applications/{application_id}/comments",
    response_model=EventView,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 409, 422, 429),
    dependencies=[limit_writes("comments")],
)
def add_comment(
    data: CommentCreate, application: VisibleApplication, user: CurrentUser, session: SessionDep
) -> EventView:
    """A message to the applicant (or, from staff, an internal note) in the audit trail."""
    event = workflow.comment(
        session, application=application, user=user, text=data.text, internal=data.internal
    )
    session.commit()
    return EventView(**event.model_dump(), actor_name=user.full_name)


@router.get(
    "/applications/{application_id}/certificate",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **CERTIFICATE_ERRORS},
)
def download_certificate(application: VisibleApplication, store: FileStoreDep) -> Response:
    """The signed certificate PDF of an issued permit."""
    return _certificate_pdf(application, store)


@router.get(
    "/applications/{application_id}/certificate/link",
    response_model=DownloadLink,
    responses=CERTIFICATE_ERRORS,
)
def link_certificate(
    request: Request,
    response: Response,
    application: VisibleApplication,
    caller: CurrentCaller,
    settings: SettingsDep,
) -> DownloadLink:
    """A link to the certificate PDF that works without the bearer header for ten minutes, for
    a phone's browser or PDF viewer. It stops working when the caller's session ends."""
    _require_certificate(application)
    token, expires_at = auth_service.download_link(
        settings,
        user=caller.user,
        session_id=caller.session_id,
        resource=_certificate_resource(application.id),
    )
    path = request.app.url_path_for("download_certificate_by_link", application_id=application.id)
    url = URL(public_origin(request) + path)
    response.headers["Cache-Control"] = "no-store"
    return DownloadLink(url=str(url.include_query_params(token=token)), expires_at=expires_at)


@router.get(
    "/applications/{application_id}/certificate/download",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **CERTIFICATE_ERRORS},
)
def download_certificate_by_link(
    application_id: RowId,
    token: Annotated[str, Query(max_length=2048, description="From the certificate link")],
    session: SessionDep,
    settings: SettingsDep,
    store: FileStoreDep,
) -> Response:
    """The certificate PDF, for whoever holds a link from `.../certificate/link`."""
    user = auth_service.authenticate_download(
        session, settings=settings, token=token, resource=_certificate_resource(application_id)
    )
    return _certificate_pdf(get_visible_application(application_id, user, session), store)


def _certificate_resource(application_id: int) -> str:
    return f"permit-certificate:{application_id}"


def _require_certificate(application: PermitApplication) -> str:
    """The certificate's file key: 404 before the permit is issued, 503 until it is produced."""
    if application.permit_number is None:
        raise NotFound("This application has no certificate: no permit was issued.")
    if application.certificate_key is None:
        raise issuing.CertificateNotReady()
    return application.certificate_key


def _certificate_pdf(application: PermitApplication, store: FileStore) -> Response:
    key = _require_certificate(application)
    file_name = f"{application.registration_number}.pdf"  # permit numbers contain slashes
    return Response(
        store.read(key),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{file_name}"'},
    )


# --- Review ---


@router.get(
    "/queue", response_model=Page[ApplicationSummary], responses=error_responses(401, 403, 422)
)
def review_queue(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Applications waiting on a step for the caller's role in their agency, by due date."""
    applications, next_cursor = queries.review_queue(session, user=user, cursor=cursor, limit=limit)
    views = ApplicationViews(session, base_url=public_origin(request))
    return rows_response([views.summary(a) for a in applications], next_cursor)


@router.post(
    "/applications/{application_id}/actions/claim",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def claim_application(
    request: Request, application: ApplicationToActOn, user: StaffUser, session: SessionDep
) -> ApplicationDetail:
    """Take the current step (starting the review of a newly submitted application). A step a
    colleague holds is a 409 `step_not_held`: a supervisor reassigns it or takes it over."""
    workflow.claim(session, application=application, user=user)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/take-over",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def take_over_application(
    request: Request, application: ApplicationToActOn, user: StaffUser, session: SessionDep
) -> ApplicationDetail:
    """Supervisors: take the current step out of whoever holds it, to decide it yourself
    (whatever role the step names). Recorded in the audit trail with the previous holder."""
    workflow.take_over(session, application=application, user=user)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/assign",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def assign_application(
    data: Assignment,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
) -> ApplicationDetail:
    """Hand the application to a colleague (supervisors)."""
    workflow.assign(session, application=application, user=user, assignee_id=data.assignee_id)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/approve",
    response_model=ApplicationDetail,
    responses=ISSUING_ERRORS,
)
def approve_step(
    data: StepApproval,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
    issuer: IssuerDep,
) -> ApplicationDetail:
    """Approve the current step; the last one decides (then billing, or issuing when free).

    Only who holds the step (claimed, assigned, or a supervisor who took it over) approves it:
    anyone else gets 409 `step_not_held`. Send `If-Match` with the version you saw."""
    workflow.approve(session, application=application, user=user, note=data.note, issuer=issuer)
    return _commit_issuing_and_show(request, session, application, user, issuer)


@router.post(
    "/applications/{application_id}/actions/request-info",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def request_information(
    data: InformationRequest,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
) -> ApplicationDetail:
    """Ask the applicant for the fields and documents named; the clock pauses."""
    workflow.request_information(
        session,
        application=application,
        user=user,
        note=data.note,
        fields=data.fields,
        documents=data.documents,
    )
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/reject",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def reject_application(
    data: Rejection,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
) -> ApplicationDetail:
    workflow.reject(session, application=application, user=user, reasons=data.reasons)
    return _commit_and_show(request, session, application, user)


@router.post(
    "/applications/{application_id}/actions/record-payment",
    response_model=ApplicationDetail,
    responses=ISSUING_ERRORS,
)
def record_payment(
    data: PaymentRecord,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
    issuer: IssuerDep,
) -> ApplicationDetail:
    """Record the fee paid (receipt, amount, date); this issues the permit."""
    payment.record_payment(
        session,
        application=application,
        user=user,
        receipt_number=data.receipt_number,
        amount=data.amount,
        paid_on=data.paid_on,
        issuer=issuer,
    )
    return _commit_issuing_and_show(request, session, application, user, issuer)


@router.post(
    "/applications/{application_id}/actions/revoke",
    response_model=ApplicationDetail,
    responses=ACTION_ERRORS,
)
def revoke_permit(
    data: Revocation,
    request: Request,
    application: ApplicationToActOn,
    user: StaffUser,
    session: SessionDep,
) -> ApplicationDetail:
    """Revoke an issued permit (supervisors), with the reason shown to the holder."""
    workflow.revoke(session, application=application, user=user, reason=data.reason)
    return _commit_and_show(request, session, application, user)


# --- Public: verification and register ---

verification_router = PrefixRouter(tags=["verification"])
# A revoked permit must never be shown as valid from a cache.
NEVER_CACHED = {"Cache-Control": "no-store"}


def _verify(request: Request, session: Session, code: str, channel: str) -> VerificationView | None:
    view = verify(
        session,
        code=code,
        channel=channel,
        client_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    session.commit()  # the look-up is logged whatever it found
    return view


@verification_router.get(
    "/verify/{code}",
    response_class=HTMLResponse,
    responses={404: {"description": "No permit has this code", "content": {"text/html": {}}}},
)
def verification_page(code: str, request: Request, session: SessionDep) -> HTMLResponse:
    """The page the certificate's QR code opens: valid, expired, revoked or unknown."""
    view = _verify(request, session, code, "html")
    page = render_page(view, city_name=region_snapshot(session).name_id)
    return HTMLResponse(
        page,
        status_code=200 if view else 404,
        headers={**NEVER_CACHED, "Content-Security-Policy": PAGE_POLICY},
    )


@verification_router.get(
    "/api/v1/verifications/{code}",
    response_model=VerificationView,
    responses=error_responses(404),
)
def verify_permit(
    code: str, request: Request, response: Response, session: SessionDep
) -> VerificationView:
    """The verification page's answer as JSON."""
    response.headers.update(NEVER_CACHED)
    view = _verify(request, session, code, "json")
    if view is None:
        raise NotFound("No permit has this verification code.")
    return view


@verification_router.get(
    "/.well-known/jwks.json", response_model=JsonWebKeySet, responses=error_responses(503)
)
def city_signing_keys(response: Response, key: CityKeyDep) -> JsonWebKeySet:
    """The city's public keys (ES256) that verify the JWS in certificates' QR codes offline:
    the current key and every rotated-out one, each with its `kid` (the JWS header names it)."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return JsonWebKeySet(**key.jwks())


register_router = PrefixRouter(prefix="/api/v1/register", tags=["register"])


@register_router.get("/permits", response_model=Page[RegisterEntry], responses=error_responses(422))
def list_register(
    request: Request,
    session: SessionDep,
    permit_type: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RegisterEntry]:
    """Issued permits of the types the city publishes, with BLDS field names; newest first."""
    entries, next_cursor = register_page(
        session,
        base_url=public_origin(request),
        permit_type_code=permit_type,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=entries, next_cursor=next_cursor)

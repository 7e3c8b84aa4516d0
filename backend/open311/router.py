"""Open311 GeoReport v2 endpoints, each in XML (required by the specification) and JSON.

Errors here are the specification's error list (`code`, `description`), not problem details:
404 for what does not exist, 403 for a missing or wrong `api_key`, 400 for anything else.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.clients import service as clients
from backend.clients.scopes import Scope
from backend.config import Settings
from backend.dependencies import LanguageDep, SessionDep, SettingsDep
from backend.errors import TooManyRequests
from backend.open311 import service
from backend.open311.formats import FORMATS, errors, render
from backend.open311.service import Open311Error, RequestForm
from backend.routing import PrefixRouter

router = PrefixRouter(prefix="/open311", tags=["open311"])

Format = Annotated[str, "json or xml"]
Jurisdiction = Annotated[
    str | None, Query(description="Optional: this endpoint serves one jurisdiction.")
]
ERROR_LIST: dict[str, Any] = {
    "description": "The GeoReport v2 error list (in XML: <errors><error>…).",
    "content": {
        "text/xml": {},
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                },
            }
        },
    },
}
BOTH_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer in the format the path names.",
        "content": {"text/xml": {}, "application/json": {}},
    },
    400: ERROR_LIST,
    404: ERROR_LIST,
}


def _known(format: str) -> str:
    return format if format in FORMATS else "json"


def _answer(format: str, root: str, build: Callable[[], Any]) -> Response:
    if format not in FORMATS:
        return errors(404, f"The format {format!r} is not served: use json or xml.", format="json")
    try:
        return render(build(), root=root, format=format)
    except Open311Error as error:
        return errors(error.status, *error.descriptions, format=format, headers=error.headers)


@router.get("/discovery.{format}", response_class=Response, responses=BOTH_FORMATS)
def read_discovery(format: Format, session: SessionDep, settings: SettingsDep) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and which formats it speaks."""
    return _answer(format, "discovery", lambda: service.discovery(session, settings))


@router.get("/v2/services.{format}", response_class=Response, responses=BOTH_FORMATS)
def list_services(
    format: Format,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """The service list: one service per complaint category."""

    def build() -> list[dict[str, Any]]:
        service.check_jurisdiction(session, settings, jurisdiction_id)
        return service.services(session, language=language)

    return _answer(format, "services", build)


@router.get("/v2/services/{service_code}.{format}", response_class=Response, responses=BOTH_FORMATS)
def read_service_definition(
    service_code: str,
    format: Format,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """A service's definition: the category's extra questions as attributes."""

    def build() -> dict[str, Any]:
        service.check_jurisdiction(session, settings, jurisdiction_id)
        return service.service_definition(session, code=service_code, language=language)

    return _answer(format, "service_definition", build)


@router.get("/v2/requests.{format}", response_class=Response, responses=BOTH_FORMATS)
def list_requests(
    format: Format,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query(description="Comma-separated ids.")] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated codes.")] = None,
    start_date: Annotated[
        str | None, Query(description="w3 date-time, e.g. 2026-01-01T00:00:00Z")
    ] = None,
    end_date: Annotated[
        str | None, Query(description="w3 date-time; at most 90 days after start")
    ] = None,
    status: Annotated[str | None, Query(description="open, closed or both.")] = None,
) -> Response:
    """Service requests (public complaints), newest first: the last 90 days unless dated."""
    params = {
        "service_request_id": service_request_id,
        "service_code": service_code,
        "start_date": start_date,
        "end_date": end_date,
        "status": status,
    }

    def build() -> list[dict[str, Any]]:
        service.check_jurisdiction(session, settings, jurisdiction_id)
        found = service.find_requests(session, params={k: v for k, v in params.items() if v})
        return service.request_views(session, found, settings=settings, language=language)

    return _answer(format, "service_requests", build)


@router.get(
    "/v2/requests/{service_request_id}.{format}", response_class=Response, responses=BOTH_FORMATS
)
def read_request(
    service_request_id: str,
    format: Format,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """One service request, as a list of one (as the specification has it)."""

    def build() -> list[dict[str, Any]]:
        service.check_jurisdiction(session, settings, jurisdiction_id)
        found = service.get_request(session, request_id=service_request_id)
        return service.request_views(session, [found], settings=settings, language=language)

    return _answer(format, "service_requests", build)


_FORM_FIELDS = [
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
    "media_url",
]  # fmt: skip
POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {name: {"type": "string"} for name in _FORM_FIELDS},
                    "additionalProperties": {"type": "string"},
                    "description": "Answers go in `attribute[code]` (and `attribute[code][]` "
                    "for each value of a multivaluelist).",
                }
            }
        },
    }
}


def _file(
    session: Session, settings: Settings, request: Request, form: RequestForm, language: str
) -> list[dict[str, Any]]:
    client = clients.client_by_api_key(session, api_key=form.get("api_key") or "")
    if client is None or Scope.OPEN311 not in client.scopes:
        raise Open311Error(
            403, "Missing or invalid api_key: ask the city for a client with the open311 scope."
        )
    service.check_jurisdiction(session, settings, form.get("jurisdiction_id"))
    try:
        clients.record_use(session, client=client, method=request.method, path=request.url.path)
    except TooManyRequests as limited:
        raise Open311Error(429, str(limited), headers=limited.headers) from None
    filed = service.file_request(session, client=client, form=form, language=language)
    session.commit()
    return filed


@router.post(
    "/v2/requests.{format}",
    response_class=Response,
    responses={**BOTH_FORMATS, 403: ERROR_LIST, 429: ERROR_LIST},
    openapi_extra=POST_BODY,
)
async def create_request(
    format: Format,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
) -> Response:
    """File a service request (needs the `api_key` of a client with the `open311` scope); it
    becomes a complaint in the responsible agency's queue."""
    try:
        form = RequestForm.parse((await request.form()).multi_items())
    except StarletteHTTPException as error:
        if error.status_code != 400:  # a body over the route's limit: 413, as everywhere
            raise
        form = None
    except Open311Error as error:
        return errors(error.status, *error.descriptions, format=_known(format))
    if format not in FORMATS:
        return _answer(format, "service_requests", list)
    if form is None:
        return errors(400, "Send the request as application/x-www-form-urlencoded.", format=format)
    try:
        filed = await run_in_threadpool(_file, session, settings, request, form, language)
    except Open311Error as error:
        return errors(error.status, *error.descriptions, format=format, headers=error.headers)
    return render(filed, root="service_requests", format=format)

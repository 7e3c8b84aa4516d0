"""RFC 9457 problem details for every error the API returns.

Services raise ``Problem`` subclasses; the handlers here turn them, FastAPI's validation errors,
Starlette's 404/405 and any unexpected exception into ``application/problem+json`` with a stable
``code`` from ``shared.errors`` and, for validation, an ``errors`` list naming each field.
"""

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import ErrorCode, message

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://warga.example/problems/"

logger = logging.getLogger("warga.errors")


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class ProblemDetail(BaseModel):
    """The body of every error response (documented in OpenAPI)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[FieldError] | None = None


class Problem(Exception):
    status: int = 400
    code: ErrorCode = ErrorCode.VALIDATION_FAILED

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: ErrorCode | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or "")
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        # Extension members (RFC 9457 §3.2), e.g. OAuth2's `error` beside our `code`.
        self.extensions = extensions or {}


class BadRequest(Problem):
    status = 400


class Unauthorized(Problem):
    status = 401
    code = ErrorCode.NOT_AUTHENTICATED

    def __init__(self, detail: str | None = None, *, code: ErrorCode | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status = 403
    code = ErrorCode.FORBIDDEN


class NotFound(Problem):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(Problem):
    status = 409
    code = ErrorCode.CONFLICT


class Unprocessable(Problem):
    status = 422
    code = ErrorCode.VALIDATION_FAILED

    @classmethod
    def for_field(cls, field: str, code: ErrorCode, detail: str) -> "Unprocessable":
        return cls(detail, code=code, errors=[FieldError(field=field, code=code, message=detail)])


class TooManyRequests(Problem):
    status = 429
    code = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(
        self, detail: str | None = None, *, retry_after: int, code: ErrorCode | None = None
    ) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(Problem):
    status = 503
    code = ErrorCode.SERVICE_UNAVAILABLE


def bilingual(text_id: str, text_en: str) -> str:
    """A problem detail in both languages; the problem's title already follows Accept-Language."""
    return f"{text_id} / {text_en}"


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry declaring problem+json bodies for the given statuses."""
    return {
        status: {"model": ProblemDetail, "content": {PROBLEM_JSON: {}}, "description": "Problem"}
        for status in statuses
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what error responses really are.

    FastAPI documents its own 422 (``HTTPValidationError``, ``application/json``) on operations
    whose ``responses=`` leave it out, and files ``error_responses`` models under
    ``application/json``; every error this API sends is a ``ProblemDetail`` in
    ``application/problem+json``. An operation reading a body also answers 400 when the body
    cannot be parsed at all (not JSON, broken multipart) and 413 when it is over its limit."""
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "The body cannot be parsed"})
                responses.setdefault("413", {"description": "The body is over its limit"})
            for status, response in responses.items():
                declared = set(response.get("content", {}))
                # A page for people (the certificate check) declares its own HTML error.
                if status[:1] in ("4", "5") and declared <= {"application/json", PROBLEM_JSON}:
                    response["content"] = problem
                    if response.get("description") == "Validation Error":
                        response["description"] = "Problem"
    # ProblemDetail is there already: `error_responses` declares it on most operations.
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def preferred_language(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("id") or tag.startswith("in"):
            return "id"
    return "id"


def problem_response(
    request: Request,
    *,
    status: int,
    code: ErrorCode,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = ProblemDetail(
        type=PROBLEM_TYPE_BASE + code.value.replace("_", "-"),
        title=message(code, preferred_language(request)),
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code.value,
        errors=errors,
    )
    return JSONResponse(
        {**(extensions or {}), **body.model_dump(exclude_none=True)},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


_LOCATIONS = {"body", "query", "path", "header", "form", "cookie"}


def field_path(loc: Iterable[str | int]) -> str:
    """("permit_types", 2, "form", 0, "code") -> "permit_types[2].form[0].code"."""
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key of this mapping is wrong"
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _field_name(loc: tuple[Any, ...]) -> str:
    # FastAPI prefixes where the value came from: ("body", "address", "city") -> "address.city".
    if len(loc) > 1 and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return field_path(loc)


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        ctx_error = (error.get("ctx") or {}).get("error")
        code = getattr(ctx_error, "code", None) or ErrorCode.VALIDATION_FAILED
        errors.append(
            FieldError(field=_field_name(tuple(error["loc"])), code=code, message=error["msg"])
        )
    return problem_response(
        request,
        status=422,
        code=ErrorCode.VALIDATION_FAILED,
        detail="; ".join(f"{e.field}: {e.message}" for e in errors),
        errors=errors,
    )


_HTTP_CODES = {
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BODY_TOO_LARGE,
}


async def _on_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.VALIDATION_FAILED)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(
        request, status=exc.status_code, code=code, detail=detail, headers=headers
    )


async def _on_stale_row(request: Request, exc: StaleDataError) -> JSONResponse:
    # A row-version check failed: someone else changed the item between our read and write.
    return problem_response(
        request,
        status=409,
        code=ErrorCode.VERSION_CONFLICT,
        detail="Someone else changed this item at the same time; reload it and try again.",
    )


def _retry_after(request: Request) -> dict[str, str]:
    settings = getattr(request.app.state, "settings", None)
    return {"Retry-After": str(settings.retry_after_seconds if settings else 2)}


def busy_response(request: Request) -> JSONResponse:
    """Every database connection (or request slot) of this process is taken: retry shortly."""
    return problem_response(
        request,
        status=503,
        code=ErrorCode.SERVER_BUSY,
        detail=bilingual(
            "Server sedang melayani banyak permintaan; coba lagi sebentar lagi.",
            "The server is serving many requests; try again shortly.",
        ),
        headers=_retry_after(request),
    )


async def _on_pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
    logger.warning("no database connection free in time: %s", exc)
    return busy_response(request)


async def _on_database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
    # The database refused a connection ("too many clients"), went away, cancelled a statement
    # past its timeout or (SQLite) stayed locked: nothing the caller did wrong, so no 500.
    logger.warning("database unavailable: %s", exc.orig or exc)
    return problem_response(
        request,
        status=503,
        code=ErrorCode.SERVICE_UNAVAILABLE,
        detail=bilingual(
            "Basis data sedang tidak dapat melayani; coba lagi sebentar lagi.",
            "The database cannot serve this now; try again shortly.",
        ),
        headers=_retry_after(request),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(request, status=500, code=ErrorCode.INTERNAL_ERROR)


# Each handler takes the exception class it is registered for (Starlette's signature says
# any Exception, which would reject every narrower handler).
_HANDLERS: tuple[tuple[type[Exception], Callable[[Request, Any], Awaitable[JSONResponse]]], ...] = (
    (Problem, _on_problem),
    (RequestValidationError, _on_validation),
    (StarletteHTTPException, _on_http_exception),
    (StaleDataError, _on_stale_row),
    (PoolTimeout, _on_pool_timeout),
    (OperationalError, _on_database_unavailable),
    (Exception, _on_unexpected),
)


def install_error_handlers(app: FastAPI) -> None:
    for exception, handler in _HANDLERS:
        app.add_exception_handler(exception, handler)

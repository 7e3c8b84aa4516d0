"""Checks at the edge, before any handler sees a request: body size, JSON depth and text.

* ``RequestBodyLimit`` (ASGI middleware) counts the body while it is being read, so a body
  over its route's limit is refused with 413 before it is parsed or held in memory, whether it
  declares a ``Content-Length`` or comes chunked. The limit depends on the route's kind: JSON
  (and forms) by default, photos or documents for routes marked with ``accepts_upload``.
* ``refuse_unstorable_input`` (an app-wide dependency, so it runs after FastAPI has parsed the
  body and before any route's own dependency or the database) refuses with 422, naming the
  field, any path, query, header, form or JSON text that holds a character the database cannot
  store (U+0000, which PostgreSQL refuses in text and JSON, or a lone UTF-16 surrogate, which
  cannot be encoded at all), and JSON nested deeper than the configured depth. One place for
  every route, so a new field cannot forget it, and the same answer on SQLite and PostgreSQL.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.config import Settings
from backend.errors import FieldError, Unprocessable, bilingual, field_path
from shared.errors import ErrorCode
from shared.limits import MAX_PHOTOS_PER_SIDE  # photos come up to this many at once

MEGABYTE = 1024 * 1024
# Room for a multipart body's boundaries and part headers around the files themselves.
MULTIPART_OVERHEAD = 64 * 1024

# U+0000 (PostgreSQL text and jsonb refuse it) and lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BodyKind(StrEnum):
    JSON = "json"
    PHOTO = "photo"
    DOCUMENT = "document"


_BODY_KIND = "warga_body_kind"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def accepts_upload(kind: BodyKind) -> Callable[[Endpoint], Endpoint]:
    """Mark a route as taking photos or documents, so its body may be that large.

    Put it below the route decorator: ``@router.post(...)`` then ``@accepts_upload(...)``."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _BODY_KIND, kind)
        return endpoint

    return mark


def body_kind_of(endpoint: Callable[..., Any] | None) -> BodyKind:
    return getattr(endpoint, _BODY_KIND, BodyKind.JSON)


def body_limits(settings: Settings) -> dict[BodyKind, int]:
    """Bytes allowed in one request body, by route kind."""
    return {
        BodyKind.JSON: settings.max_json_body_kb * 1024,
        BodyKind.PHOTO: MAX_PHOTOS_PER_SIDE * settings.max_photo_mb * MEGABYTE + MULTIPART_OVERHEAD,
        BodyKind.DOCUMENT: settings.max_document_mb * MEGABYTE + MULTIPART_OVERHEAD,
    }


class BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI, meeting it while parsing the body, passes it on as it
    is instead of calling the body unparseable (400); the error handlers make it a 413."""

    def __init__(self, limit: int) -> None:
        size = f"{limit // MEGABYTE} MB" if limit >= MEGABYTE else f"{limit // 1024} KB"
        super().__init__(
            413,
            bilingual(
                f"Isi permintaan melebihi batas {size}.",
                f"The request body is larger than the limit of {size}.",
            ),
        )


class RequestBodyLimit:
    """ASGI middleware: refuse a body larger than its route's limit while it is read.

    The route is known only after routing, so the limit is looked up at the first read of the
    body (routing has filled in ``scope["endpoint"]`` by then); a route that never reads its
    body never pays for it."""

    def __init__(self, app: ASGIApp, *, limits: dict[BodyKind, int]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            limit = self.limits[body_kind_of(scope.get("endpoint"))]
            if received == 0 and _declared_length(scope) > limit:
                raise BodyTooLarge(limit)  # said so up front: not one byte is read
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive_within_limit, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def _unstorable_text(field: str) -> Unprocessable:
    return Unprocessable.for_field(
        field,
        ErrorCode.INVALID_CHARACTERS,
        bilingual(
            "Teks berisi karakter yang tidak dapat disimpan (misalnya U+0000).",
            "The text holds a character that cannot be stored (such as U+0000).",
        ),
    )


def _json_problems(value: Any, max_depth: int) -> Iterator[tuple[tuple[str | int, ...], ErrorCode]]:
    """(where, what) for each unstorable string or key and for nesting beyond `max_depth`.

    Iterative, so a hostile depth costs a list, not Python's stack."""
    pending: list[tuple[Any, tuple[str | int, ...], int]] = [(value, (), 0)]
    while pending:
        node, location, depth = pending.pop()
        if isinstance(node, str):
            if _UNSTORABLE.search(node):
                yield location, ErrorCode.INVALID_CHARACTERS
            continue
        children: Iterable[tuple[Any, Any]]
        if isinstance(node, dict):
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        if depth >= max_depth:
            yield location, ErrorCode.TOO_DEEPLY_NESTED
            continue
        for key, child in children:
            if isinstance(key, str) and _UNSTORABLE.search(key):
                yield (*location, key), ErrorCode.INVALID_CHARACTERS
            pending.append((child, (*location, key), depth + 1))


async def _body_problem(request: Request, max_depth: int) -> Unprocessable | None:
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return None  # FastAPI did not read a body for this route: nothing of it is used
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # parsed already by FastAPI: this is its cached result
        for name, value in form.multi_items():
            text = value.filename or "" if isinstance(value, UploadFile) else value
            if _UNSTORABLE.search(name) or _UNSTORABLE.search(text):
                return _unstorable_text(name)
        return None
    if not await request.body():
        return None
    try:
        document = await request.json()  # cached, as above
    except ValueError:
        return None  # not JSON: the route's own validation answers for it
    for location, code in _json_problems(document, max_depth):
        if code is ErrorCode.INVALID_CHARACTERS:
            return _unstorable_text(field_path(location) or "body")
        detail = bilingual(
            f"JSON bersarang lebih dari {max_depth} tingkat.",
            f"The JSON is nested more than {max_depth} levels deep.",
        )
        field = field_path(location) or "body"
        return Unprocessable(
            detail, errors=[FieldError(field=field, code=code, message=detail)], code=code
        )
    return None


async def refuse_unstorable_input(request: Request) -> None:
    """App-wide dependency: see the module's docstring."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and _UNSTORABLE.search(value):
            raise _unstorable_text(name)
    for name, value in request.query_params.multi_items():
        if _UNSTORABLE.search(name) or _UNSTORABLE.search(value):
            raise _unstorable_text(name)
    for name, value in request.headers.items():
        if "\x00" in value:  # headers arrive as Latin-1: a surrogate cannot occur
            raise _unstorable_text(name)
    problem = await _body_problem(request, request.app.state.settings.max_json_depth)
    if problem is not None:
        raise problem

"""Conditional GET for public reads: ``ETag``, ``Cache-Control`` and ``304 Not Modified``.

The entity tag is a hash of the exact response body, so it changes exactly when the content
does and needs no version bookkeeping. The body is serialised on every request anyway; what a
match saves is sending it, which matters to a phone on a slow or metered connection.

Usage in a route (declare ``responses=NOT_MODIFIED`` too, so the 304 is documented)::

    return cached_response(request, AgencyList(items=...))
"""

import hashlib
import re
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

PUBLIC_MAX_AGE = 300  # seconds a client or shared cache may reuse a response unasked

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the representation matches the If-None-Match header"}
}

# One entity tag of an If-None-Match list (RFC 9110 section 8.8.3); its opaque part may contain
# commas, so the list cannot simply be split on them.
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def entity_tag(body: bytes) -> str:
    """A strong entity tag for this exact body."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def is_not_modified(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names `etag`: the client has this version, answer 304.

    Uses the weak comparison RFC 9110 (section 13.1.2) prescribes for If-None-Match: ``W/"x"``
    and ``"x"`` match. ``*`` matches any existing representation. An unparsable header is
    ignored (no match), as the RFC requires.
    """
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")[1:-1]
    position, tags = 0, []
    while position < len(if_none_match):
        match = _ENTITY_TAG.match(if_none_match, position)
        if match is None:
            return False
        tags.append(match.group(1))
        position = match.end()
    return wanted in tags


def cached_response(
    request: Request,
    payload: BaseModel,
    *,
    max_age: int = PUBLIC_MAX_AGE,
    language: str | None = None,
) -> Response:
    """`payload` as JSON with an ETag and public caching, or 304 if the client's copy is current.

    Give `language` when the body is in the reader's language: it is sent as
    ``Content-Language``, and ``Vary: Accept-Language`` keeps shared caches from serving one
    reader's language to another.
    """
    body = payload.model_dump_json().encode()
    return conditional_response(request, body, entity_tag(body), max_age=max_age, language=language)


def conditional_response(
    request: Request,
    body: bytes,
    etag: str,
    *,
    max_age: int = PUBLIC_MAX_AGE,
    language: str | None = None,
) -> Response:
    """An already serialised JSON `body` and its `etag`, or 304; see `cached_response`."""
    # A 304 carries the same validators and caching headers as the 200 it stands for.
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if language is not None:
        headers |= {"Content-Language": language, "Vary": "Accept-Language"}
    # Several If-None-Match header lines form one list (RFC 9110 section 5.3).
    if_none_match = ", ".join(request.headers.getlist("if-none-match"))
    if if_none_match and is_not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)

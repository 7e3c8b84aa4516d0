"""Async client for the Warga API on `httpx.AsyncClient`.

Every failure reaches callers as one of two exceptions: `ApiError` for an answer from the server
(parsed from its RFC 9457 problem+json body) and `Offline` when no answer came at all. An expired
access token is refreshed through the `TokenStore` and the request retried exactly once.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from mobile.core.cache import ResponseCache
from mobile.core.tokens import Session, TokenStore
from shared.errors import ErrorCode

if TYPE_CHECKING:
    import httpx  # imported at the first request: see `ApiClient._http`

API_PREFIX = "/api/v1"
# A live stream stays open; silence longer than this (the server sends a keep-alive every
# 15 s) means the connection is dead.
STREAM_READ_TIMEOUT = 60.0
KEEPALIVE_SECONDS = 4.0  # below the server's keep-alive timeout (uvicorn's default: 5 s)
COMMENT = "comment"  # the one complaint action with its own endpoint, not under /actions
PERMIT_DOCUMENT_PART = "file"  # a permit document is uploaded alone, as the part `file`


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message: str


class ApiError(Exception):
    """The server answered with an error; `code` is a stable `shared.errors.ErrorCode` value."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str = "",
        detail: str | None = None,
        errors: Sequence[FieldProblem] = (),
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.retry_after = retry_after  # seconds to wait, from `Retry-After` (a 429 or 503)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            # Not one of ours (a proxy's HTML page, say): keep the status, use a generic code.
            code = ErrorCode.SERVICE_UNAVAILABLE if response.status_code >= 500 else "http_error"
            return cls(response.status_code, code, response.reason_phrase)
        errors = [
            FieldProblem(e.get("field", ""), e.get("code", ""), e.get("message", ""))
            for e in body.get("errors") or []
        ]
        wait = response.headers.get("retry-after", "")
        return cls(
            response.status_code,
            body["code"],
            body.get("title", ""),
            body.get("detail"),
            errors,
            retry_after=int(wait) if wait.isdigit() else None,
        )

    def as_problem(self) -> dict[str, Any]:
        """As JSON, to keep with an outbox item the server refused."""
        return {
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "errors": [vars(problem) for problem in self.errors],
        }

    @classmethod
    def from_problem(cls, problem: dict[str, Any]) -> ApiError:
        errors = [FieldProblem(**e) for e in problem["errors"]]
        return cls(problem["status"], problem["code"], problem["title"], problem["detail"], errors)

    @property
    def permanent(self) -> bool:
        """Sending the same request again cannot succeed (as opposed to 5xx, 408 or 429)."""
        return 400 <= self.status < 500 and self.status not in (401, 408, 429)

    def field_errors(self) -> dict[str, FieldProblem]:
        """The first problem for each field, keyed by the server's field name."""
        found: dict[str, FieldProblem] = {}
        for problem in self.errors:
            found.setdefault(problem.field, problem)
        return found


class Offline(Exception):
    """The server could not be reached (no network, server down, timeout)."""


@dataclass(frozen=True)
class Fetched:
    """A GET's data; `stale` when it comes from the cache because the server was unreachable."""

    data: Any
    stale: bool = False
    saved_at: float | None = None


@dataclass(frozen=True)
class Upload:
    path: Path

    def part(self) -> tuple[str, bytes, str]:
        """The multipart (name, content, type); the server checks the content, not the name."""
        media_type = mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"
        return self.path.name, self.path.read_bytes(), media_type


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        tokens: TokenStore,
        cache: ResponseCache | None = None,
        language: str = "id",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.tokens = tokens
        self.cache = cache
        self.language = language
        self._client_options: dict[str, Any] = {
            "base_url": base_url.rstrip("/"),
            "transport": transport,
            "timeout": timeout,
        }
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made when first needed: httpx and its TLS setup add ~7 MB to the
        start-up peak, and the login screen, where the app starts, sends nothing until asked."""
        if self._client is None:
            import httpx

            # An idle connection is let go before the server's keep-alive (uvicorn: 5 s) ends
            # it: reused at that very moment, it would drop the request sent on it.
            limits = httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS)
            self._client = httpx.AsyncClient(limits=limits, **self._client_options)
        return self._client

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- the one place requests are sent ---

    async def _send(
        self, method: str, path: str, *, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        import httpx  # on first use, like the client (see `_http`)

        headers = {"Accept-Language": self.language, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        send = partial(self._http.request, method, API_PREFIX + path, headers=headers, **kwargs)
        try:
            try:
                return await send()
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                if method != "GET":
                    raise
                # The connection closed under the request (a server ending an idle keep-alive
                # connection as it was reused, a restart): a GET changes nothing, so it is sent
                # once more, on a new connection, before the app calls itself offline.
                return await send()
        except httpx.TransportError as exc:  # connect, read, timeouts, protocol errors
            raise Offline(str(exc) or type(exc).__name__) from exc

    async def request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; return the response if it succeeded (2xx or 304), else raise."""
        session = self.tokens.session if auth else None
        token = session.access_token if session else None
        response = await self._send(method, path, token=token, **kwargs)
        if (
            response.status_code == 401
            and token
            and _problem_code(response) == ErrorCode.TOKEN_EXPIRED
        ):
            session = await self._refresh_expired(token)
            response = await self._send(method, path, token=session.access_token, **kwargs)
        if response.is_success or response.status_code == 304:
            return response
        raise ApiError.from_response(response)

    @asynccontextmanager
    async def stream(
        self, path: str, *, headers: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """An open streaming GET with the session's token (for Server-Sent Events), refreshing
        an expired access token once like `request`; the response is closed on leaving."""
        import httpx  # on first use, like the client (see `_http`)

        for attempt in (1, 2):
            session = self.tokens.session
            if session is None:
                raise ApiError(401, ErrorCode.NOT_AUTHENTICATED)
            request = self._http.build_request(
                "GET",
                API_PREFIX + path,
                headers={
                    "Accept-Language": self.language,
                    "Authorization": f"Bearer {session.access_token}",
                    **(headers or {}),
                },
                timeout=httpx.Timeout(self._http.timeout.connect, read=STREAM_READ_TIMEOUT),
            )
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise Offline(str(exc) or type(exc).__name__) from exc
            try:
                if not response.is_success:
                    await response.aread()
                    expired = _problem_code(response) == ErrorCode.TOKEN_EXPIRED
                    if response.status_code == 401 and expired and attempt == 1:
                        await self._refresh_expired(session.access_token)
                        continue
                    raise ApiError.from_response(response)
                yield response
                return
            finally:
                await response.aclose()

    async def _refresh_expired(self, token: str) -> Session:
        try:
            return await self.tokens.refresh(token, self._refresh)
        except LookupError:  # logged out while this request was on its way
            raise ApiError(401, ErrorCode.NOT_AUTHENTICATED) from None

    async def _refresh(self, refresh_token: str) -> Session:
        response = await self._send(
            "POST", "/auth/refresh", token=None, json={"refresh_token": refresh_token}
        )
        signed_in = self.tokens.session
        if response.status_code == 401 and signed_in and signed_in.refresh_token == refresh_token:
            self.forget_session()  # revoked or reused: only a new login helps
        if not response.is_success:
            raise ApiError.from_response(response)
        return Session.from_token_response(response.json())

    async def get(self, path: str, *, auth: bool = False) -> Fetched:
        """GET JSON, revalidated with the cached ETag; the cached copy, stale, when offline."""
        cached = self.cache.get(path) if self.cache else None
        headers = {"If-None-Match": cached.etag} if cached and cached.etag else {}
        try:
            response = await self.request("GET", path, auth=auth, headers=headers)
        except Offline:
            if cached is None:
                raise
            return Fetched(cached.data, stale=True, saved_at=cached.saved_at)
        if response.status_code == 304 and cached is not None:
            return Fetched(cached.data, saved_at=cached.saved_at)
        data = response.json()
        if self.cache:
            self.cache.put(path, data, response.headers.get("etag"))
        return Fetched(data)

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None,
        uploads: Sequence[Upload] = (),
        part: str = "files",
        idempotency_key: str | None = None,
        version: int | None = None,
    ) -> Any:
        """A write: a JSON body, or files as multipart parts named `part` (the API never mixes
        them; it names the part `files`, or `file` where it takes one).

        `idempotency_key` makes a retry return the first result; `version` (sent as `If-Match`)
        makes the server refuse the write if the record changed since it was read.
        """
        if body is not None and uploads:
            raise ValueError("the API takes JSON or files in one request, not both")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if version is not None:
            headers["If-Match"] = str(version)
        if uploads:
            kwargs: dict[str, Any] = {"files": [(part, upload.part()) for upload in uploads]}
        else:
            kwargs = {"json": body}
        response = await self.request(method, path, headers=headers, **kwargs)
        return response.json() if response.content else None

    async def get_bytes(self, path: str) -> bytes:
        """A binary resource (a photo) with the session's token; `path` is the API's full path."""
        response = await self.request("GET", path.removeprefix(API_PREFIX))
        return response.content

    # --- auth and accounts ---

    async def login(self, username: str, password: str) -> Session:
        response = await self.request(
            "POST", "/auth/token", auth=False, data={"username": username, "password": password}
        )
        session = Session.from_token_response(response.json())
        self.tokens.save(session)
        return session

    async def logout(self) -> None:
        """End the session here at once, then on the server if it can be reached.

        Dropped here first: someone who signs in while the server is still being told (a slow
        network, the next person on a shared phone) keeps their own new session."""
        ended = self.tokens.session
        self.forget_session()
        if ended is None:
            return
        with suppress(Offline):  # an unreachable server lets the session expire
            await self._end_on_server(ended)

    async def _end_on_server(self, ended: Session) -> None:
        """Log `ended` out with its own tokens (the store holds them no longer): its access
        token, or a fresh one from its refresh token if that has expired."""
        response = await self._send("POST", "/auth/logout", token=ended.access_token)
        if response.status_code != 401 or _problem_code(response) != ErrorCode.TOKEN_EXPIRED:
            return
        try:
            refreshed = await self._refresh(ended.refresh_token)
        except ApiError:
            return  # revoked already
        await self._send("POST", "/auth/logout", token=refreshed.access_token)

    def forget_session(self) -> None:
        self.tokens.clear()
        if self.cache:
            self.cache.clear()

    async def register(
        self,
        *,
        full_name: str,
        password: str,
        email: str | None = None,
        phone: str | None = None,
        nik: str | None = None,
        language: str = "id",
    ) -> dict[str, Any]:
        body = {
            "full_name": full_name,
            "password": password,
            "email": email or None,
            "phone": phone or None,
            "nik": nik or None,
            "language": language,
        }
        response = await self.request("POST", "/accounts", auth=False, json=body)
        return response.json()

    async def me(self) -> Fetched:
        return await self.get("/me", auth=True)

    async def update_me(self, **changes: Any) -> dict[str, Any]:
        response = await self.request("PATCH", "/me", json=changes)
        return response.json()

    # --- the region's public catalogue ---

    async def region(self) -> Fetched:
        return await self.get("/region")

    async def agencies(self) -> Fetched:
        return await self.get("/agencies")

    async def agency(self, code: str) -> Fetched:
        return await self.get(f"/agencies/{code}")

    async def complaint_categories(self) -> Fetched:
        return await self.get("/complaint-categories")

    async def permit_types(self) -> Fetched:
        return await self.get("/permit-types")

    async def permit_type(self, code: str) -> Fetched:
        return await self.get(f"/permit-types/{code}")

    # --- complaints ---

    async def my_complaints(self) -> Fetched:
        return await self.get("/complaints/mine", auth=True)

    async def complaint_queue(self, **filters: str) -> Fetched:
        """The agency's queue; `filters` are the API's `status`, `due` and `assigned`."""
        query = "&".join(f"{name}={value}" for name, value in sorted(filters.items()) if value)
        return await self.get("/complaints/queue" + (f"?{query}" if query else ""), auth=True)

    async def complaint(self, complaint_id: int) -> Fetched:
        return await self.get(f"/complaints/{complaint_id}", auth=True)

    async def public_map(self, bbox: tuple[float, float, float, float] | None = None) -> Fetched:
        """Public reports as a GeoJSON FeatureCollection; `bbox` is (min_lon, min_lat, max_lon,
        max_lat), GeoJSON's order."""
        query = f"?bbox={','.join(f'{edge:.6f}' for edge in bbox)}" if bbox else ""
        return await self.get(f"/public/complaints/map{query}")

    async def nearby_complaints(
        self, category: str, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Open complaints of the category close by: likely duplicates, checked before filing.
        Signed in, so each says whether it is the resident's own or already supported."""
        response = await self.request(
            "GET",
            "/public/complaints/nearby",
            auth=True,
            params={"category": category, "latitude": latitude, "longitude": longitude},
        )
        return response.json()

    async def support_complaint(self, complaint_id: int) -> dict[str, Any]:
        return await self.send("PUT", f"/complaints/{complaint_id}/support", body=None)

    async def complaint_action(
        self, complaint_id: int, action: str, body: dict[str, Any], *, version: int
    ) -> dict[str, Any]:
        """Take a workflow action (`COMPLAINT_MACHINE` name, e.g. `start_work`) or comment."""
        path = (
            f"/complaints/{complaint_id}/comments"
            if action == COMMENT
            else f"/complaints/{complaint_id}/actions/{action.replace('_', '-')}"
        )
        return await self.send("POST", path, body=body, version=version)

    # --- permits ---

    async def create_permit_application(
        self, permit_type: str, answers: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """A draft application; the same key returns the same draft when a retry comes."""
        return await self.send(
            "POST",
            "/permits/applications",
            body={"permit_type": permit_type, "answers": answers},
            idempotency_key=idempotency_key,
        )

    async def permit_applications(self, status: str | None = None) -> Fetched:
        """A resident's own applications (staff: their agency's), newest first."""
        query = f"?status={status}" if status else ""
        return await self.get("/permits/applications" + query, auth=True)

    async def permit_application(self, application_id: int) -> Fetched:
        return await self.get(f"/permits/applications/{application_id}", auth=True)

    async def update_permit_answers(
        self, application_id: int, answers: dict[str, Any]
    ) -> dict[str, Any]:
        """Change answers of a draft, or the ones the reviewer asked about."""
        return await self.send(
            "PATCH", f"/permits/applications/{application_id}", body={"answers": answers}
        )

    async def upload_permit_document(
        self, application_id: int, kind: str, path: Path
    ) -> dict[str, Any]:
        """Upload (or replace) the application's document of one kind, as the part `file`."""
        return await self.send(
            "POST",
            f"/permits/applications/{application_id}/documents/{kind}",
            body=None,
            uploads=[Upload(Path(path))],
            part=PERMIT_DOCUMENT_PART,
        )

    async def permit_action(
        self,
        application_id: int,
        action: str,
        body: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Take an action of the permits API (`submit`, `claim`, `request_info`, ...);
        `version` is the application's version on screen, so a stale screen gets a 409."""
        path = f"/permits/applications/{application_id}/actions/{action.replace('_', '-')}"
        return await self.send(
            "POST", path, body=body, idempotency_key=idempotency_key, version=version
        )

    async def permit_comment(
        self, application_id: int, text: str, *, internal: bool
    ) -> dict[str, Any]:
        return await self.send(
            "POST",
            f"/permits/applications/{application_id}/comments",
            body={"text": text, "internal": internal},
        )

    async def permit_queue(self) -> Fetched:
        """Applications waiting on a step for the signed-in officer's role, by due date."""
        return await self.get("/permits/queue", auth=True)

    async def permit_certificate(self, application_id: int) -> bytes:
        """The issued permit's certificate PDF."""
        return await self.get_bytes(f"/permits/applications/{application_id}/certificate")

    async def permit_certificate_link(self, application_id: int) -> str:
        """A URL that opens the certificate PDF for ten minutes without this client's token:
        for the phone's browser or PDF viewer, which cannot be handed the app's private files."""
        path = f"/permits/applications/{application_id}/certificate/link"
        response = await self.request("GET", path, auth=True)
        return response.json()["url"]

    async def permit_document(self, application_id: int, document_id: int) -> bytes:
        """An uploaded document, as the server keeps it (photos re-encoded without EXIF)."""
        return await self.get_bytes(
            f"/permits/applications/{application_id}/documents/{document_id}"
        )

    async def verify_permit(self, code: str) -> dict[str, Any]:
        """The public verification of a permit's code, as anyone scanning its QR code sees it."""
        response = await self.request("GET", f"/verifications/{code}", auth=False)
        return response.json()

    # --- notifications ---

    async def notifications(self, cursor: str | None = None) -> Fetched:
        """The inbox, newest first; `cursor` is the previous page's `next_cursor`."""
        return await self.get("/notifications" + _query(cursor=cursor), auth=True)

    async def unread_count(self) -> int:
        response = await self.request("GET", "/notifications/unread-count")
        return response.json()["unread"]

    async def mark_read(self, notification_id: int) -> dict[str, Any]:
        return await self.send("POST", f"/notifications/{notification_id}/read", body=None)

    async def mark_all_read(self, up_to_id: int | None = None) -> int:
        """Mark entries read, only those up to `up_to_id` (the newest one shown) when given."""
        path = "/notifications/read-all" + _query(up_to_id=up_to_id)
        return (await self.send("POST", path, body=None))["marked"]

    # --- public information (in the client's language) ---

    async def announcements(self, agency: str | None = None, cursor: str | None = None) -> Fetched:
        return await self.get("/announcements" + _query(agency=agency, cursor=cursor))

    async def announcement(self, announcement_id: int) -> Fetched:
        return await self.get(f"/announcements/{announcement_id}")

    async def services(self, agency: str | None = None) -> Fetched:
        return await self.get("/services" + _query(agency=agency))

    async def service(self, code: str) -> Fetched:
        return await self.get(f"/services/{code}")

    async def directory_entry(self, code: str) -> Fetched:
        """An agency with the services it provides, in the client's language."""
        return await self.get(f"/directory/{code}")

    async def followed_agencies(self) -> Fetched:
        return await self.get("/follows", auth=True)

    async def follow(self, agency_code: str, following: bool) -> None:
        await self.send(
            "PUT" if following else "DELETE", f"/directory/{agency_code}/follow", body=None
        )

    async def search(self, query: str) -> Fetched:
        return await self.get("/search" + _query(q=query))

    async def dashboard(self) -> Fetched:
        """The Life Room figures of the last 90 days (a supervisor's: their agency)."""
        return await self.get("/dashboard", auth=True)


def _query(**params: Any) -> str:
    """`?a=1&b=x` of the parameters that are set, or nothing."""
    present = {name: value for name, value in params.items() if value is not None}
    return "?" + urlencode(present) if present else ""


def _problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None

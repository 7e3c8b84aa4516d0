"""Hostile input is refused at the edge, the same on SQLite and PostgreSQL, never with a 500.

Text the database cannot store (U+0000, which PostgreSQL refuses; lone surrogates, which cannot
be encoded) from a path, query, header, form or JSON body is a 422 naming the field; JSON
nested too deeply is a 422; a body over its route's limit is a 413, refused while it is read.
"""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.edge import MEGABYTE
from backend.errors import PROBLEM_JSON
from tests.backend.complaints.complaint_helpers import complaint_body, file_complaint, jpeg_bytes
from tests.backend.helpers import login
from tests.backend.information.conftest import announcement_body
from tests.backend.permits.conftest import PermitsDriver, pdf_file

NUL = "\x00"
BOUNDARY = "warga-boundary"
# A file whose name holds a raw NUL byte (httpx would percent-encode it; a hostile client not).
MULTIPART_NUL_NAME = (
    (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a\x00.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    + jpeg_bytes()
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)


@pytest.fixture
def settings(settings, tmp_path):
    # Small upload limits keep the oversized bodies below cheap to build and send.
    return settings.model_copy(
        update={
            "media_dir": tmp_path / "media",
            "signing_key_file": tmp_path / "city-key.pem",
            "max_json_body_kb": 256,
            "max_photo_mb": 1,
            "max_document_mb": 2,
        }
    )


class Caller:
    """Logged-in headers for the demo accounts the cases need, and one filed complaint."""

    def __init__(self, client: httpx.AsyncClient, demo) -> None:
        self.client, self.demo = client, demo
        self.headers: dict[str, dict[str, str]] = {}
        self.complaint: dict = {}

    async def as_(self, who: str) -> dict[str, str]:
        if who == "nobody":
            return {}
        account = {
            "resident": self.demo.resident,
            "officer": self.demo.officer("dbmsda"),
            "admin": self.demo.admin,
        }[who]
        if who not in self.headers:
            self.headers[who] = await login(self.client, account.username, account.password)
        return self.headers[who]


@pytest.fixture
async def caller(client, demo) -> AsyncIterator[Caller]:
    caller = Caller(client, demo)
    caller.complaint = await file_complaint(client, await caller.as_("resident"))
    yield caller


COMPLAINTS = "/api/v1/complaints"
ON_COMPLAINT = "/api/v1/complaints/{complaint}"
JSON = {"Content-Type": "application/json"}
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
REGISTRATION = {"email": "siti2@example.com", "password": "kata-sandi-panjang-sekali"}


def filing(**changes) -> dict:
    return {"json": complaint_body(**changes)}


# (who, method, url, request arguments, the field the answer must name)
CASES = [
    ("resident", "POST", COMPLAINTS, filing(title=f"a{NUL}b"), "title"),
    ("resident", "POST", COMPLAINTS, filing(description=NUL), "description"),
    ("resident", "POST", COMPLAINTS, filing(address=f"Jl.{NUL}"), "address"),
    ("resident", "POST", COMPLAINTS, filing(category=f"jalan{NUL}"), "category"),
    ("resident", "POST", COMPLAINTS, filing(answers={"ukuran": NUL}), "answers.ukuran"),
    ("resident", "POST", COMPLAINTS, filing(answers={f"k{NUL}": "x"}), f"answers.k{NUL}"),
    ("resident", "POST", f"{ON_COMPLAINT}/comments", {"json": {"text": f"lagi{NUL}"}}, "text"),
    (
        "officer", "POST", f"{ON_COMPLAINT}/actions/forward",
        {"json": {"agency": f"dlh{NUL}", "reason": "Bukan jalan."}}, "agency",
    ),
    (
        "officer", "POST", f"{ON_COMPLAINT}/actions/mark-duplicate",
        {"json": {"original": f"ADU{NUL}"}}, "original",
    ),
    (
        "nobody", "POST", "/api/v1/auth/token",
        {"data": {"username": f"siti{NUL}@example.com", "password": "x"}}, "username",
    ),
    (
        "nobody", "POST", "/api/v1/accounts",
        {"json": {"full_name": f"Siti{NUL}", **REGISTRATION}}, "full_name",
    ),
    ("resident", "PATCH", "/api/v1/me", {"json": {"full_name": f"Siti{NUL}R"}}, "full_name"),
    (
        "resident", "POST", "/api/v1/permits/applications",
        {"json": {"permit_type": f"pbg{NUL}", "answers": {}}}, "permit_type",
    ),
    (
        "admin", "POST", "/api/v1/announcements",
        {"json": announcement_body(title={"id": f"a{NUL}", "en": "a"})}, "title.id",
    ),
    ("nobody", "GET", "/verify/a%00b", {}, "code"),
    ("nobody", "GET", "/api/v1/agencies/a%00", {}, "code"),
    ("nobody", "GET", "/api/v1/public/complaints?agency=%00", {}, "agency"),
    ("officer", "GET", "/api/v1/complaints/queue?agency=%00", {}, "agency"),
    ("nobody", "GET", "/api/v1/announcements?agency=%00", {}, "agency"),
    (
        "resident", "POST", COMPLAINTS,
        {**filing(), "headers": {"Idempotency-Key": f"k{NUL}"}}, "idempotency-key",
    ),
    # A lone surrogate, as a JSON escape: valid JSON, but no database can store it.
    (
        "resident", "POST", COMPLAINTS,
        {"content": json.dumps(complaint_body(title="\ud800")), "headers": JSON}, "title",
    ),
    (
        "resident", "POST", f"{ON_COMPLAINT}/photos",
        {"content": MULTIPART_NUL_NAME, "headers": MULTIPART}, "files",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("who", "method", "url", "arguments", "field"), CASES)
async def test_text_the_database_cannot_store_is_a_422_naming_the_field(
    client, caller, who, method, url, arguments, field
):
    arguments = dict(arguments)
    headers = {**(await caller.as_(who)), **arguments.pop("headers", {})}
    url = url.format(complaint=caller.complaint["id"])
    response = await client.request(method, url, headers=headers, **arguments)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == "invalid_characters"
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_ordinary_text_still_passes(client, caller):
    """The guard refuses only what cannot be stored: tabs, newlines, emoji and Javanese pass."""
    title = "Jalan\trusak\n🚧 ꦗꦭꦤ꧀"
    resident = await caller.as_("resident")
    complaint = await file_complaint(client, resident, title=title)
    assert complaint["title"] == title


def nested(depth: int) -> object:
    value: object = "dalam"
    for _ in range(depth):
        value = [value]
    return value


async def test_deeply_nested_json_is_a_422_and_very_deep_json_a_400(client, caller, settings):
    resident = await caller.as_("resident")
    # 900 levels once reached the complaint's serialisation and failed there with a 500.
    body = complaint_body(answers={"ukuran_lubang": nested(900)})
    response = await client.post("/api/v1/complaints", json=body, headers=resident)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "too_deeply_nested"
    assert response.json()["errors"][0]["field"].startswith("answers.ukuran_lubang")
    # Deeper than the JSON parser goes at all: the body cannot be parsed.
    raw = json.dumps(complaint_body(answers={"x": "PLACEHOLDER"})).replace(
        '"PLACEHOLDER"', "[" * 100_000 + "]" * 100_000
    )
    response = await client.post(
        "/api/v1/complaints",
        content=raw,
        headers={**resident, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    # Nesting up to the limit is fine (the answer itself is then judged by the category's form).
    body = complaint_body(answers={"ukuran_lubang": nested(settings.max_json_depth - 2)})
    response = await client.post("/api/v1/complaints", json=body, headers=resident)
    assert response.status_code != 422 or response.json()["code"] != "too_deeply_nested"


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class CountingStream(httpx.AsyncByteStream):
    """A chunked body (no Content-Length) that records how much of it the server pulled."""

    def __init__(self, data: bytes) -> None:
        self.data, self.sent = data, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in _chunks(self.data):
            self.sent += len(chunk)
            yield chunk


async def test_a_json_body_over_the_limit_is_a_413_before_it_is_read_whole(
    client, caller, settings
):
    resident = await caller.as_("resident")
    limit = settings.max_json_body_kb * 1024
    body = json.dumps(complaint_body(description="x" * (4 * limit))).encode()
    response = await client.post(
        "/api/v1/complaints",
        content=body,
        headers={**resident, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "body_too_large"
    # Chunked, without a Content-Length: cut off soon after the limit, not read to the end.
    stream = CountingStream(body)
    response = await client.post(
        "/api/v1/complaints",
        content=stream,
        headers={**resident, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert stream.sent <= limit + 64 * 1024 < len(body)
    # Just under the limit is read and judged on its content (description is too long: 422).
    body = json.dumps(complaint_body(description="x" * (limit - 1024))).encode()
    response = await client.post(
        "/api/v1/complaints",
        content=body,
        headers={**resident, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text


async def test_upload_routes_take_files_up_to_their_own_limits(client, caller, demo, settings):
    """A photo upload may be larger than a JSON body, and a document larger still; past their
    limits both are 413 problem+json."""
    resident = await caller.as_("resident")
    json_limit = settings.max_json_body_kb * 1024
    photo = jpeg_bytes(size=(1600, 1200), quality=100)
    padding = b"\0" * (2 * json_limit)  # after the JPEG's end: Pillow never reads it
    response = await client.post(
        f"/api/v1/complaints/{caller.complaint['id']}/photos",
        headers=resident,
        files={"files": ("big.jpg", photo + padding, "image/jpeg")},
    )
    assert response.status_code == 201, response.text  # over the JSON limit, under the photo's
    too_big = b"\0" * (5 * settings.max_photo_mb * MEGABYTE + 128 * 1024)
    response = await client.post(
        f"/api/v1/complaints/{caller.complaint['id']}/photos",
        headers=resident,
        files={"files": ("huge.jpg", too_big, "image/jpeg")},
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "body_too_large"

    permits = PermitsDriver(client=client, demo=demo)
    draft = await permits.draft("pbg")
    kind = next(
        k["code"]
        for k in (await permits.permit_type("pbg"))["documents"]
        if "application/pdf" in k["media_types"]
    )
    url = f"/api/v1/permits/applications/{draft['id']}/documents/{kind}"
    document = pdf_file() + b"%" + b"x" * (2 * json_limit)  # a comment after %%EOF
    response = await client.post(
        url, headers=resident, files={"file": ("big.pdf", document, "application/pdf")}
    )
    assert response.status_code == 201, response.text
    too_big = b"%PDF-" + b"\0" * (settings.max_document_mb * MEGABYTE + 128 * 1024)
    response = await client.post(
        url, headers=resident, files={"file": ("huge.pdf", too_big, "application/pdf")}
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_JSON

"""Small helpers the backend tests share."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.engine import Engine


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in through the token endpoint and return the Authorization header."""
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def client_credentials(
    client: httpx.AsyncClient, admin: dict[str, str], *, scopes: str, agency: str | None = None
) -> dict[str, str]:
    """Register an API client as `admin` and return its access token's Authorization header."""
    body = {"name": "Sistem Uji", "scopes": scopes.split(), "agency": agency}
    created = await client.post("/api/v1/admin/clients", json=body, headers=admin)
    assert created.status_code == 201, created.text
    credentials = created.json()
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def ids_of_pages(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **query: str
) -> set[int]:
    """The ids of every item of a cursor-paginated list, every page followed; none when the
    caller may not use the list at all (401 or 403)."""
    ids: set[int] = set()
    params: dict[str, str | int] = {"limit": 100, **query}
    while True:
        response = await client.get(url, params=params, headers=headers)
        if response.status_code in (401, 403):
            return ids
        assert response.status_code == 200, (url, response.text)
        page = response.json()
        ids |= {item["id"] for item in page["items"]}
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


async def fetchable(
    client: httpx.AsyncClient, url: str, ids: set[int], headers: dict[str, str]
) -> set[int]:
    """Of `ids`, those `url.format(id)` answers with 200; any other answer must be a 401, 403 or
    404 (never a 500)."""
    found = set()
    for item_id in ids:
        response = await client.get(url.format(item_id), headers=headers)
        assert response.status_code in (200, 401, 403, 404), (url, item_id, response.text)
        if response.status_code == 200:
            found.add(item_id)
    return found


def engines_of(app) -> list[Engine]:
    """The app's engines: the one for writes and, on PostgreSQL, the one for hot reads."""
    engines = [app.state.engine]
    if app.state.read_engine is not None:
        engines.append(app.state.read_engine.sync_engine)
    return engines


@contextmanager
def statements_on(*engines: Engine) -> Iterator[list[str]]:
    """The SQL statements sent through `engines` while the block runs."""
    seen: list[str] = []

    def note(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


@contextmanager
def claims_made_at_the_same_moment(engines: list[Engine], *markers: str) -> Iterator[None]:
    """Hold each of two job runs (one per engine) just before its first statement naming each
    marker until the other run got there too, so both claim their items at the same moment, as
    two hosts' cron would at the top of a minute."""
    barriers = {marker: threading.Barrier(2) for marker in markers}
    waited: set[tuple[int, str]] = set()

    def meet(conn, cursor, statement, parameters, context, executemany):
        for marker, barrier in barriers.items():
            if marker in statement and (threading.get_ident(), marker) not in waited:
                waited.add((threading.get_ident(), marker))
                barrier.wait(timeout=20)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", meet)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", meet)


def assert_body_is(model: type[BaseModel], response: httpx.Response) -> None:
    """The body is exactly what `model` writes: its fields, in its order, in its formats (for
    answers serialised from plain rows, `backend.responses.rows_response`)."""
    assert response.status_code == 200, response.text
    assert response.json()["items"], "an empty page proves nothing"
    assert model.model_validate_json(response.content).model_dump_json() == response.text


def without_request_id(response: httpx.Response) -> list[tuple[str, str]]:
    """A response's headers but its request id, which differs on every answer."""
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]

"""Small helpers the backend tests share."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in through the token endpoint and return the Authorization header."""
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


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

"""CPU per request, in process: how many microseconds of the server's CPU one GET costs.

    .venv/bin/python -m bench.cpu                          # every row, SQLite, 10k complaints
    .venv/bin/python -m bench.cpu --database-url postgresql+psycopg://...   # emptied first
    .venv/bin/python -m bench.cpu --profile queue          # cProfile's top entries for one row
    .venv/bin/python -m bench.cpu --path '/api/v1/complaints/queue?due=overdue' \\
        --as petugas.dbmsda@harapanbaru.go.id              # any GET path, as any demo user

Seeds the demo city as `bench.complaints` does, then calls the application directly through
ASGI in this process (no server, no sockets, no HTTP parsing), one request at a time, and
divides this process's CPU time by the requests made. The database's own CPU (PostgreSQL's
backend) is not counted; on SQLite it is, as it is in a server. `floor` is `bench.ceiling`'s
bare FastAPI endpoint doing one raw-driver query: what the framework and driver alone cost.

Wall-clock throughput depends on the machine's load; CPU per request much less, though other
processes on the same cores still slow it (shared caches, frequency): each row is measured in
`--rounds` rounds taken in turn with the other rows, and the best round counts. Compare two
versions of the code by their rows, and each row by its multiple of the floor.
"""

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import uvloop

from bench.complaints import COMPLAINT, generate
from bench.foundation import database_option, prepare_database

RESIDENT = "siti@example.com"
OFFICER = "petugas.dbmsda@harapanbaru.go.id"
LIGHTS_OFFICER = "petugas.dishub@harapanbaru.go.id"  # street lights: the filed complaints' agency
PERMITS_OFFICER = "petugas.dbpr@harapanbaru.go.id"  # building approvals (PBG)
PASSWORDS = {"resident": "warga-demo-2026", "staff": "petugas-demo-2026"}
FILED = 25  # complaints filed by the resident before measuring: the detail and inbox rows' data

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Row:
    name: str
    path: str
    username: str | None  # None: no login (the floor)


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    """One request through the ASGI interface, as uvicorn would make it; (status, body)."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def password_of(username: str) -> str:
    return PASSWORDS["resident" if "@example.com" in username else "staff"]


class Client:
    """Logged-in requests to the application, one bearer token per demo user."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tokens: dict[str, str] = {}

    async def headers(self, username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        if username not in self.tokens:
            form = urlencode({"username": username, "password": password_of(username)})
            status, body = await call(
                self.app,
                "POST",
                "/api/v1/auth/token",
                headers={"content-type": "application/x-www-form-urlencoded"},
                body=form.encode(),
            )
            assert status == 200, body
            self.tokens[username] = json.loads(body)["access_token"]
        return {"authorization": f"Bearer {self.tokens[username]}"}

    async def get(self, path: str, username: str | None) -> bytes:
        status, body = await call(self.app, "GET", path, headers=await self.headers(username))
        assert status == 200, (path, status, body[:300])
        return body


async def file_complaints(client: Client) -> int:
    """The resident files `FILED` street-light complaints; the newest one's id."""
    headers = {**await client.headers(RESIDENT), "content-type": "application/json"}
    for _ in range(FILED):
        status, body = await call(
            client.app,
            "POST",
            "/api/v1/complaints",
            headers=headers,
            body=json.dumps(COMPLAINT).encode(),
        )
        assert status == 201, body
    return int(json.loads(body)["id"])


async def newest_permit(client: Client) -> int:
    """The newest application the permits officer's agency may read: the permit detail row's."""
    page = await client.get("/api/v1/permits/applications?limit=1", PERMITS_OFFICER)
    return int(json.loads(page)["items"][0]["id"])


def standard_rows(newest: int, permit: int) -> list[Row]:
    return [
        Row("floor", "/floor", None),
        Row("/me", "/api/v1/me", RESIDENT),
        Row("queue", "/api/v1/complaints/queue?limit=20", OFFICER),
        Row("mine", "/api/v1/complaints/mine?limit=20", RESIDENT),
        Row("detail", f"/api/v1/complaints/{newest}", RESIDENT),
        Row("inbox", "/api/v1/notifications?limit=20", LIGHTS_OFFICER),
        Row("unread", "/api/v1/notifications/unread-count", LIGHTS_OFFICER),
        Row("permits", "/api/v1/permits/applications?limit=20", PERMITS_OFFICER),
        Row("permit", f"/api/v1/permits/applications/{permit}", PERMITS_OFFICER),
    ]


async def cpu_us(client: Client, row: Row, requests: int) -> float:
    """Microseconds of this process's CPU per request, after a warm-up."""
    for _ in range(50):
        await client.get(row.path, row.username)
    start = time.process_time()
    for _ in range(requests):
        await client.get(row.path, row.username)
    return (time.process_time() - start) / requests * 1e6


async def profile(client: Client, row: Row, requests: int, top: int) -> None:
    for _ in range(50):
        await client.get(row.path, row.username)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        await client.get(row.path, row.username)
    profiler.disable()
    stats = pstats.Stats(profiler)
    for order in ("cumulative", "tottime"):
        print(f"\n--- {row.name} ({row.path}), {requests} requests, by {order} ---")
        stats.sort_stats(order).print_stats(top)


async def run(args: argparse.Namespace, url: str) -> None:
    from backend.config import Settings
    from backend.main import create_app
    from bench.ceiling import app as bare

    os.environ["WARGA_DATABASE_URL"] = url  # the floor reads the same database
    settings = Settings(
        database_url=url,
        log_level="WARNING",
        rate_limit_filing="1000000000/hour",
        rate_limit_uploads="1000000000/hour",
    )
    app = create_app(settings)
    client = Client(app)
    newest = await file_complaints(client)
    rows = standard_rows(newest, await newest_permit(client))
    if args.path:
        rows = [Row(args.path, args.path, args.as_user)]
    floor_client = Client(bare)
    clients = {row.name: floor_client if row.name == "floor" else client for row in rows}
    if args.profile:
        row = next(r for r in rows if r.name == args.profile)
        await profile(clients[row.name], row, args.requests, args.top)
        return
    print(
        f"\nCPU per request, in process, {args.count} complaints and {args.permits} permit "
        f"applications on {'PostgreSQL' if args.database_url else 'SQLite'}, "
        f"best of {args.rounds} rounds of {args.requests} requests a row"
    )
    best = {row.name: float("inf") for row in rows}
    for _ in range(args.rounds):
        for row in rows:
            micros = await cpu_us(clients[row.name], row, args.requests)
            best[row.name] = min(best[row.name], micros)
    floor = best.get("floor")
    print(f"{'row':10} {'CPU µs':>8} {'req/s of CPU':>13} {'x floor':>8}  path")
    for row in rows:
        micros = best[row.name]
        times = f"{micros / floor:8.1f}" if floor else f"{'-':>8}"
        print(f"{row.name:10} {micros:8.0f} {1e6 / micros:13.0f} {times}  {row.path}")
    app.state.engine.dispose()
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="complaints to generate")
    parser.add_argument("--permits", type=int, default=500, help="permit applications")
    parser.add_argument("--requests", type=int, default=1000, help="requests per row and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best one counts")
    parser.add_argument("--path", help="measure this GET path only")
    parser.add_argument("--as", dest="as_user", default=RESIDENT, help="demo user for --path")
    parser.add_argument("--profile", metavar="NAME", help="profile one row (floor, /me, queue ...)")
    parser.add_argument("--top", type=int, default=30, help="profile entries shown")
    database_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory, args.database_url)
        generate(url, args.count, permits=args.permits)
        uvloop.run(run(args, url))


if __name__ == "__main__":
    main()

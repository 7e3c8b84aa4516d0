"""What one complaint filing (POST, no photo) costs the server: thread-pool hops, SQL
statements, transactions and CPU time, on SQLite or PostgreSQL.

    .venv/bin/python -m bench.filing_cost                   # a new SQLite file
    .venv/bin/python -m bench.filing_cost --database-url postgresql+psycopg://...  # emptied first

Runs the app in this process behind httpx's ASGI transport (no network, no server), files
`--count` complaints as the demo resident, each with its own Idempotency-Key, and prints one
filing's statements (verb and table) and the costs per filing. The CPU time is this process's,
the in-process client's share included (the same whatever the server does), and on PostgreSQL
without the database server's own.
"""

import argparse
import asyncio
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import event

from bench.complaints import COMPLAINT
from bench.foundation import database_option, prepare_database

_TABLE = re.compile(r"\b(?:INTO|FROM|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


def shape(statement: str) -> str:
    """A statement's verb and the first table it names, e.g. ``INSERT complaint``."""
    verb = statement.split(None, 1)[0].upper()
    table = _TABLE.search(statement)
    return f"{verb} {table.group(1)}" if table else verb


@dataclass
class Costs:
    """What the app did while `counting` watched it."""

    hops: int = 0  # thread-pool hops (anyio.to_thread.run_sync, which run_in_threadpool uses)
    statements: list[str] = field(default_factory=list)
    transactions: int = 0  # database transactions begun, on any of the app's engines

    @property
    def shapes(self) -> list[str]:
        return [shape(statement) for statement in self.statements]


@contextmanager
def counting(app: FastAPI) -> Iterator[Costs]:
    """Count the hops, statements and transactions of the requests `app` serves meanwhile."""
    costs = Costs()
    engines = [app.state.engine]
    if app.state.read_engine is not None:
        engines.append(app.state.read_engine.sync_engine)
    run_sync = anyio.to_thread.run_sync

    async def hop(*args: Any, **kwargs: Any) -> Any:
        costs.hops += 1
        return await run_sync(*args, **kwargs)

    def on_statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        costs.statements.append(statement)

    def on_begin(_connection: Any) -> None:
        costs.transactions += 1

    anyio.to_thread.run_sync = hop  # type: ignore[assignment]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "begin", on_begin)
    try:
        yield costs
    finally:
        anyio.to_thread.run_sync = run_sync
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on_statement)
            event.remove(engine, "begin", on_begin)


async def file(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/complaints",
        json=COMPLAINT,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    if response.status_code != 201:
        raise RuntimeError(f"filing failed: {response.status_code} {response.text}")


async def measure(url: str, count: int) -> None:
    from backend.config import Settings
    from backend.main import create_app

    settings = Settings(
        database_url=url,
        log_level="WARNING",
        # The limit is counted on every filing (its cost is part of the figures), never refused.
        rate_limit_filing="1000000000/hour",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/v1/auth/token",
            data={"username": "siti@example.com", "password": "warga-demo-2026"},
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(20):  # caches, prepared statements and the pools warmed up
            await file(client, headers)
        singles = []
        for _ in range(5):  # one whose kept snapshots (2 s to live) did not expire meanwhile
            with counting(app) as single:
                await file(client, headers)
            singles.append(single)
        one = min(singles, key=lambda costs: len(costs.statements))
        with counting(app) as many:
            started = time.process_time()
            for _ in range(count):
                await file(client, headers)
            cpu = time.process_time() - started
    app.state.engine.dispose()
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()

    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\nOne filing on {engine}, statement by statement (the microcache's snapshots kept):")
    for number, name in enumerate(one.shapes, 1):
        print(f"  {number:2}. {name}")
    print(f"\nPer filing, over {count} filings on {engine}:")
    print(f"  thread-pool hops  {many.hops / count:8.2f}")
    print(f"  statements        {len(many.statements) / count:8.2f}")
    print(f"  transactions      {many.transactions / count:8.2f}")
    print(f"  CPU µs            {cpu / count * 1e6:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="filings timed")
    database_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory, args.database_url)
        asyncio.run(measure(url, args.count))


if __name__ == "__main__":
    main()

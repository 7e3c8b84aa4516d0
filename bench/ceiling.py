"""The ceiling every benchmark figure is divided by: a bare FastAPI endpoint, served with the
same uvicorn settings as Warga, so the ratio shows what Warga's own work costs.

`/floor` is the other bound: a bare FastAPI endpoint that reads the newest 20 complaints (one
indexed query) through the raw database driver (sqlite3, or psycopg's async connections on
PostgreSQL) from the database of ``WARGA_DATABASE_URL``, with no ORM, no authentication and no
middleware. What a hot read costs beyond it is Warga's; up to it, the framework's and driver's.
"""

import asyncio
import os
import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI
from sqlalchemy.engine import make_url

app = FastAPI()

FLOOR_SQL = (
    "SELECT id, tracking_number, status, title, due_date FROM complaint ORDER BY id DESC LIMIT 20"
)
FLOOR_CONNECTIONS = 8  # on PostgreSQL, as many queries in flight at once


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "hello"}


class _Floor:
    """The driver's connections, opened at the first request."""

    def __init__(self) -> None:
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: asyncio.Queue[psycopg.AsyncConnection[Any]] | None = None

    async def rows(self) -> list[tuple[Any, ...]]:
        url = make_url(os.environ["WARGA_DATABASE_URL"])
        if url.get_backend_name() == "sqlite":
            if self.sqlite is None:
                self.sqlite = sqlite3.connect(url.database or "", check_same_thread=False)
            return self.sqlite.execute(FLOOR_SQL).fetchall()
        if self.postgres is None:
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.postgres = asyncio.Queue()
            for _ in range(FLOOR_CONNECTIONS):
                self.postgres.put_nowait(await psycopg.AsyncConnection.connect(conninfo))
        connection = await self.postgres.get()
        try:
            cursor = await connection.execute(FLOOR_SQL)
            rows = await cursor.fetchall()
            await connection.rollback()  # end the read's transaction, as a pooled session does
            return rows
        finally:
            self.postgres.put_nowait(connection)


_floor = _Floor()


@app.get("/floor")
async def floor() -> list[dict[str, Any]]:
    columns = ("id", "tracking_number", "status", "title", "due_date")
    return [dict(zip(columns, row, strict=True)) for row in await _floor.rows()]

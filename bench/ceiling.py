"""The ceiling every benchmark figure is divided by: a bare FastAPI endpoint, served with the
same uvicorn settings as Warga, so the ratio shows what Warga's own work costs.

`/floor` is the other bound: a bare FastAPI endpoint that reads the newest 20 complaints (one
indexed query) through the raw database driver (sqlite3, or psycopg's async connections on
PostgreSQL) from the database of ``WARGA_DATABASE_URL``, with no ORM, no authentication and no
middleware. What a hot read costs beyond it is Warga's; up to it, the framework's and driver's.

`POST /floor/filing` is the same bound for filing a complaint: it validates the body and makes
the writes any filing needs, in one transaction through the raw driver: the idempotency and
rate-limit reads, the complaint and its tracking number, the timeline entry, the inbox entries of
the reporter and the agency's staff, the idempotency record, the two limit counters and three
Life Room tally rows (13 statements, against Warga's 15). It applies no rule: no
authentication, no routing, no deadline, no answer validation, no hooks.
"""

import asyncio
import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cached_property
from typing import Any

import psycopg
from fastapi import FastAPI, Header
from pydantic import BaseModel, Field
from sqlalchemy.engine import URL, make_url

app = FastAPI()

FLOOR_SQL = (
    "SELECT id, tracking_number, status, title, due_date FROM complaint ORDER BY id DESC LIMIT 20"
)
FLOOR_CONNECTIONS = 8  # on PostgreSQL, as many queries in flight at once


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "hello"}


# A filing's statements in the order it runs them, in Warga's tables, with `:name` parameters
# (rewritten for psycopg).
_FILING_SQL = {
    "remembered": "SELECT status_code, response_body FROM idempotency_record"
    " WHERE user_id = :reporter AND scope = 'complaints.file' AND key = :key",
    "limits": "SELECT hits, expires_at FROM rate_limit_counter WHERE key IN (:hourly, :daily)",
    "complaint": "INSERT INTO complaint (reporter_id, category_id, agency_id, status, title,"
    " description, latitude, longitude, answers, anonymous, confidential, due_date, created_at,"
    " updated_at, version) VALUES (:reporter, :category, :agency, 'submitted', :title,"
    " :description, :latitude, :longitude, :answers, false, false, :due, :now, :now, 1)"
    " RETURNING id",
    "numbered": "UPDATE complaint SET tracking_number = :tracking WHERE id = :complaint",
    "timeline": "INSERT INTO complaint_event (complaint_id, actor_id, actor_role, action,"
    " to_status, public, details, created_at) VALUES (:complaint, :reporter, 'resident',"
    " 'file', 'submitted', true, '{}', :now)",
    "reporter_told": "INSERT INTO notification (user_id, kind, title_id, title_en, body_id,"
    " body_en, subject_type, subject_id, created_at) VALUES (:reporter, 'complaint.filed',"
    " :tracking, :tracking, '', '', 'complaint', :complaint, :now)",
    "staff_told": "INSERT INTO notification (user_id, kind, title_id, title_en, body_id,"
    " body_en, subject_type, subject_id, created_at) SELECT id, 'complaint.routed', :tracking,"
    " :tracking, :title, :title, 'complaint', :complaint, :now FROM user_account"
    " WHERE agency_id = :agency AND role IN ('officer', 'supervisor') AND is_active",
    "remember": "INSERT INTO idempotency_record (user_id, scope, key, request_hash, status_code,"
    " response_body, created_at) VALUES (:reporter, 'complaints.file', :key, :key, 201, '{}',"
    " :now)",
    "hourly": "INSERT INTO rate_limit_counter (key, hits, expires_at) VALUES (:hourly, 1, :hour)"
    " ON CONFLICT (key) DO UPDATE SET hits = rate_limit_counter.hits + 1",
    "daily": "INSERT INTO rate_limit_counter (key, hits, expires_at) VALUES (:daily, 1, :day)"
    " ON CONFLICT (key) DO UPDATE SET hits = rate_limit_counter.hits + 1",
    "filed_tally": "INSERT INTO complaint_tally_filed (pending, filed_on, agency_id, category_id,"
    " status, complaints, resolved, resolved_on_time, rating_sum, ratings) VALUES (true, :today,"
    " :agency, :category, 'submitted', 1, 0, 0, 0, 0)",
    "running_tally": "INSERT INTO complaint_tally_running (pending, due_date, agency_id,"
    " category_id, complaints) VALUES (true, :due, :agency, :category, 1)",
    "density_tally": "INSERT INTO complaint_tally_density (pending, filed_on, cell_row,"
    " cell_column, agency_id, complaints) VALUES (true, :today, 0, 0, :agency, 1)",
}
_FILER = (
    "SELECT u.id, c.id, c.agency_id FROM user_account u, complaint_category c"
    " WHERE u.role = 'resident' AND c.active ORDER BY u.id, c.id LIMIT 1"
)


class _Floor:
    """The driver's connections, opened at the first request."""

    def __init__(self) -> None:
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: asyncio.Queue[psycopg.AsyncConnection[Any]] | None = None
        self.filer: Sequence[Any] | None = None  # a resident, a category and its agency

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        while self.postgres is not None and not self.postgres.empty():
            await self.postgres.get_nowait().close()
        self.sqlite = self.postgres = self.filer = None

    @cached_property
    def url(self) -> URL:
        """Read once: every request asks which database it is."""
        return make_url(os.environ["WARGA_DATABASE_URL"])

    @property
    def on_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def _postgres(self) -> asyncio.Queue[psycopg.AsyncConnection[Any]]:
        if self.postgres is None:
            conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.postgres = asyncio.Queue()
            for _ in range(FLOOR_CONNECTIONS):
                self.postgres.put_nowait(await psycopg.AsyncConnection.connect(conninfo))
        return self.postgres

    def _sqlite(self) -> sqlite3.Connection:
        if self.sqlite is None:
            database = self.url.database or ""
            self.sqlite = sqlite3.connect(database, check_same_thread=False)
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute("PRAGMA synchronous=NORMAL")  # as Warga's engine sets it
        return self.sqlite

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["_Statements"]:
        """One transaction: committed if the block ends normally, else rolled back (a read's
        transaction is simply committed, which ends it as a pooled session's rollback would)."""
        if self.on_sqlite:
            connection = self._sqlite()
            try:
                yield _Statements(sqlite=connection)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            return
        pool = await self._postgres()
        postgres = await pool.get()
        try:
            async with postgres.transaction():
                yield _Statements(postgres=postgres)
        finally:
            pool.put_nowait(postgres)

    async def rows(self) -> list[tuple[Any, ...]]:
        async with self.transaction() as run:
            return await run(FLOOR_SQL)

    async def file(self, data: "FloorFiling", key: str) -> dict[str, Any]:
        if self.filer is None:
            async with self.transaction() as run:
                self.filer = (await run(_FILER))[0]
        reporter, category, agency = self.filer
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        values: dict[str, Any] = {
            "reporter": reporter,
            "category": category,
            "agency": agency,
            "key": key,
            "hourly": f"filing:{reporter}:hour",
            "daily": f"filing:{reporter}:day",
            "hour": now.timestamp() + 3600,
            "day": now.timestamp() + 86400,
            "title": data.title,
            "description": data.description,
            "latitude": data.latitude,
            "longitude": data.longitude,
            "answers": json.dumps(data.answers),
            "today": now.date(),
            "due": now.date() + dt.timedelta(days=3),
            "now": now,
        }
        async with self.transaction() as run:
            await run(_FILING_SQL["remembered"], values)
            await run(_FILING_SQL["limits"], values)
            [(values["complaint"],)] = await run(_FILING_SQL["complaint"], values)
            values["tracking"] = f"ADU-{now.year}-{values['complaint']:06d}"
            for name in list(_FILING_SQL)[3:]:  # the other writes, in their order above
                await run(_FILING_SQL[name], values)
        return {
            "id": values["complaint"],
            "tracking_number": values["tracking"],
            "status": "submitted",
            "title": data.title,
            "due_date": values["due"].isoformat(),
        }


class _Statements:
    """Runs one statement on the transaction's connection and returns its rows."""

    def __init__(
        self,
        *,
        sqlite: sqlite3.Connection | None = None,
        postgres: psycopg.AsyncConnection[Any] | None = None,
    ) -> None:
        self.sqlite = sqlite
        self.postgres = postgres

    async def __call__(self, sql: str, values: dict[str, Any] | None = None) -> list[Any]:
        values = values or {}
        if self.sqlite is not None:
            used = {name: _for_sqlite(values[name]) for name in _names(sql)}
            return self.sqlite.execute(sql, used).fetchall()
        assert self.postgres is not None
        used = {name: values[name] for name in _names(sql)}
        cursor = await self.postgres.execute(_for_psycopg(sql), used)
        return await cursor.fetchall() if cursor.description else []


_PARAMETER = re.compile(r"(?<!:):(\w+)")


def _names(sql: str) -> set[str]:
    return set(_PARAMETER.findall(sql))


def _for_psycopg(sql: str) -> str:
    return _PARAMETER.sub(r"%(\1)s", sql)


def _for_sqlite(value: Any) -> Any:
    """Dates and times as SQLAlchemy stores them in SQLite (ISO text)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_floor = _Floor()


@app.get("/floor")
async def floor() -> list[dict[str, Any]]:
    columns = ("id", "tracking_number", "status", "title", "due_date")
    return [dict(zip(columns, row, strict=True)) for row in await _floor.rows()]


class FloorFiling(BaseModel):
    """The fields of Warga's complaint that the floor writes, validated as plainly."""

    category: str = Field(max_length=64)
    title: str = Field(min_length=5, max_length=120)
    description: str = Field(min_length=10, max_length=5000)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    answers: dict[str, Any] = Field(default_factory=dict)


@app.post("/floor/filing", status_code=201)
async def floor_filing(
    data: FloorFiling, idempotency_key: str = Header(max_length=128)
) -> dict[str, Any]:
    return await _floor.file(data, idempotency_key)

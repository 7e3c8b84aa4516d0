"""Database engine and sessions: SQLite (default) or PostgreSQL through psycopg 3."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AwareDatetime
from sqlalchemy import DateTime, Dialect, Table, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, create_engine


@dataclass(frozen=True)
class EngineOptions:
    """How one process talks to its database (from ``Settings.engine_options()``).

    A request holds its connection across its thread-pool steps, so the pool bounds how many
    requests work at once; one that finds no free connection within `pool_timeout` seconds gets
    a 503 (see ``backend.errors``) instead of waiting on.
    """

    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 2.0
    # PostgreSQL only; 0: none (the default, for migrations and maintenance commands; the
    # server takes its limits from the settings).
    statement_timeout_ms: int = 0
    idle_in_transaction_timeout_ms: int = 0
    prepared_statements: bool = True  # False behind PgBouncer in transaction mode

    @property
    def pool(self) -> dict[str, Any]:
        return {
            "pool_size": self.pool_size,
            "max_overflow": self.max_overflow,
            "pool_timeout": self.pool_timeout,
        }

    def shared_with_reads(self) -> "tuple[EngineOptions, EngineOptions] | None":
        """(write pool, read pool) that together open no more connections than this one, so a
        process keeps to its share of the connection budget (`share_connection_budget`). None
        when there are too few to split: reads then share the write pool."""
        total = self.pool_size + self.max_overflow
        if total < 2:
            return None
        read_size = max(1, self.pool_size // 2)  # a pool_size of 0 would mean "no limit"
        write_size = max(1, self.pool_size - read_size)
        spare = total - read_size - write_size
        return (
            replace(self, pool_size=write_size, max_overflow=spare - spare // 2),
            replace(self, pool_size=read_size, max_overflow=spare // 2),
        )

    def postgresql_connect_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if not self.prepared_statements:
            args["prepare_threshold"] = None  # psycopg then never prepares on the server
        limits = [
            f"-c {name}={value}"
            for name, value in (
                ("statement_timeout", self.statement_timeout_ms),
                ("idle_in_transaction_session_timeout", self.idle_in_transaction_timeout_ms),
            )
            if value
        ]
        if limits:
            args["options"] = " ".join(limits)
        return args


# Id columns are PostgreSQL `integer`s (money and counters `bigint`). A client's number past that
# range names no row, yet the database refuses to compare with it (SQLite cannot even bind it),
# so ids in paths, bodies and cursors are checked against these bounds first.
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
RowId = Annotated[int, Interval(ge=1, le=INTEGER_MAX)]

# A calendar day a client filters by. Its local midnight is converted to UTC and the next day is
# taken for "up to and including", both of which overflow at the ends of Python's date range
# (years 1 and 9999); no record of this system lies anywhere near them.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)
CalendarDay = Annotated[date, Interval(ge=FIRST_DAY, le=LAST_DAY)]
# A moment a client sets (an announcement's publication): converted to UTC on the way in, which
# overflows for "0001-01-01T00:00+14:00" and the like.
Moment = Annotated[
    AwareDatetime,
    Interval(
        ge=datetime.combine(FIRST_DAY, time(), UTC), le=datetime.combine(LAST_DAY, time(), UTC)
    ),
]


class BudgetTooSmall(ValueError):
    pass


def share_connection_budget(
    budget: int, *, workers: int, pool_size: int, max_overflow: int
) -> tuple[int, int]:
    """(pool size, overflow) for each of `workers` processes so that together they never open
    more than `budget` connections: each keeps one for its change-channel listener, and its pool
    gets at most the rest of its share (less when the settings ask for fewer)."""
    share = budget // workers - 1
    if share < 1:
        raise BudgetTooSmall(
            f"WARGA_DB_CONNECTION_BUDGET={budget} is too small for {workers} workers: each "
            "needs at least two connections (one for requests, one for its change listener)"
        )
    size = min(pool_size, share)
    return size, min(max_overflow, share - size)


def make_engine(
    database_url: str, *, echo: bool = False, options: EngineOptions | None = None
) -> Engine:
    options = options or EngineOptions()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, options=options)
    return create_engine(
        postgresql_url(url),
        echo=echo,
        pool_pre_ping=True,
        connect_args=options.postgresql_connect_args(),
        **options.pool,
    )


def make_read_engine(
    database_url: str, *, options: EngineOptions | None = None
) -> AsyncEngine | None:
    """The engine `backend.reads` runs hot reads on: psycopg's async driver on PostgreSQL, so a
    round trip awaits on the event loop instead of holding a thread. None on SQLite, whose
    reads are library calls made on the loop through the sync engine."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return None
    options = options or EngineOptions()
    # Autocommit: no BEGIN and no ROLLBACK round trip around a read. Under PostgreSQL's READ
    # COMMITTED each statement took its own snapshot anyway. No ping before each use either:
    # `backend.reads` retries a read once on a connection found dead instead.
    return create_async_engine(
        postgresql_url(url),
        isolation_level="AUTOCOMMIT",
        connect_args=options.postgresql_connect_args(),
        **options.pool,
    )


def postgresql_url(url: "str | URL") -> "URL":
    """The URL with psycopg 3 as its driver (plain ``postgresql://`` would mean psycopg2)."""
    url = make_url(url)
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


SQLITE_BUSY_SECONDS = 30
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_engine(url: URL, *, echo: bool, options: EngineOptions) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
        **({} if url.database in (None, "", ":memory:") else options.pool),
    )
    _one_writer_at_a_time(engine)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers work while one writer writes; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _one_writer_at_a_time(engine: Engine) -> None:
    """Queue this process's SQLite write transactions on a lock instead of SQLite's busy handler.

    SQLite lets one transaction write at a time. A second writer's busy handler polls with
    sleeps growing to 100 ms, so under many concurrent writers some wait for seconds while
    others get through. Here a transaction takes the process's writer lock before its first
    write (when the driver opens the transaction) and gives it back at commit or rollback, so
    waiters take turns as soon as the lock is free. Other processes (the CLI, a second worker)
    still meet SQLite's own lock and busy timeout; after that long this process stops waiting
    for its lock too and leaves the rest to SQLite.
    """
    writer = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(
        connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if not connection.info.get("writer") and statement.lstrip()[:7].upper().startswith(_WRITES):
            connection.info["writer"] = writer.acquire(timeout=SQLITE_BUSY_SECONDS)

    def _give_back(info: dict[str, Any]) -> None:
        if info.pop("writer", False):
            writer.release()

    event.listen(engine, "commit", lambda connection: _give_back(connection.info))
    event.listen(engine, "rollback", lambda connection: _give_back(connection.info))
    # However the connection goes back to the pool, it does not keep the lock.
    event.listen(engine, "checkin", lambda _dbapi, record: _give_back(record.info))


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine.

    PostgreSQL keeps them as ``timestamptz``; SQLite has no time zones, so values are stored as
    naive UTC and given their zone back on the way out. Naive datetimes are refused on the way in,
    since their meaning would depend on the server's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def listen_once(target: Any, name: str, hook: Callable[..., Any]) -> None:
    """Register `hook` for the `name` event of `target` unless it already is (the composition
    root, ``backend.database``, may be entered more than once per process)."""
    if not event.contains(target, name, hook):
        event.listen(target, name, hook)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for Core statements and column collections."""
    # SQLModel sets `__table__` on every table model but does not declare it for type checkers.
    return model.__table__  # type: ignore[attr-defined]


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_on_conflict(
    dialect: str, table: Table | type[SQLModel]
) -> PostgresInsert | SqliteInsert:
    """An INSERT into `table` that takes ``on_conflict_do_update``/``_do_nothing`` on the
    `dialect` (its name): PostgreSQL and SQLite spell upserts alike, but SQLAlchemy builds them
    per dialect."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


# PostgreSQL's detail for a unique violation: 'Key (application_id, kind)=(4, ktp) already exists.'
_POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")
# SQLite's message: 'UNIQUE constraint failed: permit_document.application_id, permit_document.kind'
_SQLITE_KEY = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
UNIQUE_VIOLATION = "23505"  # SQLSTATE


def unique_violation(error: IntegrityError, table: str) -> frozenset[str] | None:
    """The columns of `table`'s unique key (or primary key) that a write collided with.

    None when `error` is anything else: a foreign key, NOT NULL or CHECK failure, or another
    table's key. Callers catch only the collision they expect, so the rest stays an error."""
    original = error.orig
    diag = getattr(original, "diag", None)
    if diag is not None:  # psycopg
        if getattr(original, "sqlstate", None) != UNIQUE_VIOLATION or diag.table_name != table:
            return None
        match = _POSTGRES_KEY.match(diag.message_detail or "")
        return frozenset(c.strip() for c in match["columns"].split(",")) if match else None
    match = _SQLITE_KEY.search(str(original))
    if match is None:
        return None
    qualified = [column.strip() for column in match["columns"].split(",")]
    if not all(column.startswith(f"{table}.") for column in qualified):
        return None
    return frozenset(column.removeprefix(f"{table}.") for column in qualified)


@contextmanager
def duplicate_tolerated(session: Session, table: str) -> Iterator[None]:
    """A savepoint for an insert that a concurrent request may have made too (two taps at once).

    Colliding with `table`'s unique key undoes only the savepoint: the row is there, as wanted.
    Any other integrity error (a foreign key that points nowhere) is raised."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as error:
        if unique_violation(error, table) is None:
            raise

"""Database engine and sessions: SQLite (default) or PostgreSQL through psycopg 3."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

from annotated_types import Interval
from pydantic import AwareDatetime
from sqlalchemy import DateTime, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlmodel import create_engine

# A request holds its connection across its thread-pool steps, so the pool must be able to lend
# one to every request the thread pool runs at once (anyio's default: 40 threads); a smaller
# pool stalls busy servers until the pool's timeout.
POOL = {"pool_size": 20, "max_overflow": 20}

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


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if url.drivername == "postgresql":  # plain URLs get psycopg 3, not psycopg2
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, echo=echo, pool_pre_ping=True, **POOL)


SQLITE_BUSY_SECONDS = 30
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_engine(url, *, echo: bool) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
        **({} if url.database in (None, "", ":memory:") else POOL),
    )
    _one_writer_at_a_time(engine)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
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
    def _take(connection, _cursor, statement, _parameters, _context, _executemany):
        if not connection.info.get("writer") and statement.lstrip()[:7].upper().startswith(_WRITES):
            connection.info["writer"] = writer.acquire(timeout=SQLITE_BUSY_SECONDS)

    def _give_back(info: dict) -> None:
        if info.pop("writer", False):
            writer.release()

    event.listen(engine, "commit", lambda connection: _give_back(connection.info))
    event.listen(engine, "rollback", lambda connection: _give_back(connection.info))
    # However the connection goes back to the pool, it does not keep the lock.
    event.listen(engine, "checkin", lambda _dbapi, record: _give_back(record.info))


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine.

    PostgreSQL keeps them as ``timestamptz``; SQLite has no time zones, so values are stored as
    naive UTC and given their zone back on the way out. Naive datetimes are refused on the way in,
    since their meaning would depend on the server's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_on_conflict(dialect: str, table) -> Insert:
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

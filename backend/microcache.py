"""A small in-process cache ("microcache") for public responses and reference data.

Two uses, one mechanism:

* ``cached_public_response`` keeps whole public GET responses (the complaint feed and map, the
  region's catalogue) for ``TTL_SECONDS``. The key is the path, the sorted query and, for
  responses in the reader's language, the language ``Accept-Language`` picks. Under load one
  request per key and TTL reads the database; the rest are answered from memory, with the same
  ``ETag``/``304`` handling as before. Only successful responses are kept; errors are not.
* ``remember`` keeps small immutable reference values (the region snapshot, the working-day
  calendar, the category and agency names) that many requests read and few change.

**Staleness.** Whenever this process commits a change to a table an entry was built from, the
entry is dropped at once (a SQLAlchemy session hook records the tables each transaction
writes, and for some tables which rows: see "Scopes" below), so a change made through this
process is visible to its next request. On PostgreSQL
every commit through a session also announces its tables on the change channel
(``backend.changes``), so the other workers and hosts drop their entries at once too; while the
channel is down, the cache is bypassed (every request reads the database) and it starts empty
when the channel is back. A write that bypasses sessions (raw SQL on a connection) is seen
within ``TTL_SECONDS``. The responses kept here by ``cached_public_response`` are the same for
every caller without a login; answers private to a caller are kept by ``backend.kept_answers``,
filed under the caller's verified token.

One cache belongs to each database engine (a test's fresh engine starts with an empty one); a
commit through any engine of this process drops the entries of every engine on that database.
"""

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlmodel import Session as ModelSession

from backend import changes
from backend.db import listen_once
from backend.http_cache import conditional_response, entity_tag

T = TypeVar("T")

TTL_SECONDS = 2.0
MAX_BYTES = 8 * 1024 * 1024  # all response bodies together; least recently used go first
TABLES_TOPIC = "tables"  # on the change channel: the tables a committed transaction wrote
ANY_TABLE = "*"  # written by a statement whose table we could not tell: drop everything

_WRITTEN = "microcache_written_tables"


@dataclass(frozen=True)
class _Entry:
    value: Any
    size: int
    tables: frozenset[str]
    expires: float


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str
    max_age: int
    language: str | None


class MicroCache:
    """Entries with a time to live, each dropped as soon as one of its tables is written."""

    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
        channel: "changes.ChangeChannel | None" = None,
    ) -> None:
        self.ttl = ttl
        self.channel = channel  # while it is down, other processes' writes go unseen: no cache
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # sessions commit in worker threads
        self._generation = 0  # bumped by every invalidation
        self._pending: dict[
            Hashable, asyncio.Future[CachedBody]
        ] = {}  # only touched on the event loop

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def usable(self) -> bool:
        return self.channel is None or self.channel.healthy

    def get(self, key: Hashable) -> Any | None:
        if not self.usable:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= self.clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.value

    def put(
        self,
        key: Hashable,
        value: Any,
        *,
        tables: Iterable[str],
        generation: int,
        size: int = 0,
        ttl: float | None = None,
    ) -> None:
        """Keep `value` for `ttl` seconds (the cache's own by default) unless a write was
        committed since `generation` was read (the value may predate it) or it is too big to be
        worth its room."""
        if size > self.max_bytes // 8 or not self.usable:
            return
        with self._lock:
            if generation != self._generation:
                return
            if key in self._entries:
                self._drop(key)
            expires = self.clock() + (self.ttl if ttl is None else ttl)
            self._entries[key] = _Entry(value, size, frozenset(tables), expires)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def invalidate(self, tables: Iterable[str]) -> None:
        written = set(tables)
        with self._lock:
            self._generation += 1
            stale = [
                key
                for key, entry in self._entries.items()
                if ANY_TABLE in written or entry.tables & written
            ]
            for key in stale:
                self._drop(key)

    def clear(self) -> None:
        self.invalidate([ANY_TABLE])

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key).size

    async def get_or_build(
        self,
        key: Hashable,
        build: Callable[[], bytes],
        *,
        tables: Iterable[str],
        max_age: int,
        language: str | None,
    ) -> CachedBody:
        """The cached body for `key`, or `build()` run in the thread pool (once for all the
        requests that ask for the same key meanwhile) and kept."""
        found = self.get(key)
        if found is not None:
            return found
        pending = self._pending.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request was cancelled, not the one building
                # the request building it went away: build it ourselves
        future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        generation = self._generation
        try:
            body = await run_in_threadpool(build)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
                future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]
        cached = CachedBody(body, entity_tag(body), max_age, language)
        self.put(key, cached, tables=tables, generation=generation, size=len(body))
        future.set_result(cached)
        return cached


# --- One cache per engine, and invalidation on commit ---

_caches: "weakref.WeakKeyDictionary[Engine, MicroCache]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def for_engine(engine: Engine) -> MicroCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is not None:
            return cache
    channel = _follow_other_processes(engine) if engine.dialect.name == "postgresql" else None
    with _caches_lock:
        return _caches.setdefault(engine, MicroCache(channel=channel))


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _invalidate_database(database: str, tables: Iterable[str]) -> None:
    """Drop the entries built from `tables` in every cache of this process on `database`."""
    with _caches_lock:
        caches = [cache for other, cache in _caches.items() if _database(other) == database]
    for cache in caches:
        cache.invalidate(tables)


_followed: set[str] = set()


def _follow_other_processes(engine: Engine) -> "changes.ChangeChannel":
    """Listen (once per database) for the tables other processes write."""
    database = _database(engine)
    channel = changes.channel_for(database)
    with _caches_lock:
        first = database not in _followed
        _followed.add(database)
    if first:

        def on_tables(tables: list[str], origin: str) -> None:
            if origin != changes.ORIGIN:  # this process dropped its entries at its commit
                _invalidate_database(database, tables or [ANY_TABLE])

        def on_health(healthy: bool) -> None:
            if healthy:  # messages may have been lost while it was down
                _invalidate_database(database, [ANY_TABLE])

        channel.subscribe(TABLES_TOPIC, on_tables)
        channel.on_health_change(on_health)
    return channel


# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more, which would fail the commit. A
# transaction that wrote more scopes than fit (a notice to a large agency's every officer) is
# announced by whole tables instead: coarser, never wrong.
ANNOUNCED_MAX_BYTES = 6000


def announced(written: Iterable[str]) -> list[str]:
    """What the change channel is told a transaction wrote: `written`, or its tables."""
    tags = sorted(written)
    if sum(len(tag) + 3 for tag in tags) > ANNOUNCED_MAX_BYTES:
        tags = sorted({unscoped_tag(tag.partition(":")[0]) if ":" in tag else tag for tag in tags})
    return tags


def _announce_written_tables(session: Session) -> None:
    written = session.info.get(_WRITTEN)
    if written:
        changes.publish(session, TABLES_TOPIC, announced(written))


def note_written(session: Session, tables: Iterable[str]) -> None:
    """For writes that bypass the session's statements (a flush hook's own, on its connection):
    entries built from `tables` are dropped at the commit, here and on other hosts."""
    session.info.setdefault(_WRITTEN, set()).update(tables)


def _engine_of(session: Session) -> Engine | None:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else getattr(bind, "engine", None)


# --- Scopes: finer than a table ---
#
# A model may name columns that split its table into scopes (`CACHE_SCOPES`, e.g. a complaint's
# agency and reporter). A write to one of its rows is then noted under a tag per scope the row
# was or is in ("complaint:agency_id=3"), besides the table's name; a write whose rows cannot be
# told (a Core UPDATE, a column not loaded) under the table's `unscoped_tag` instead. An entry
# built only from one scope's rows depends on that scope's tag and the unscoped tag rather than
# on the table, so a filing at one agency leaves another agency's queue kept.


# A table, one of its columns and a value: the rows of the table whose column has that value.
Scope = tuple[str, str, object]


def scope_tag(table: str, column: str, value: object) -> str:
    return f"{table}:{column}={value}"


def unscoped_tag(table: str) -> str:
    return f"{table}:*"


def rows_scoped(table: str, column: str, value: object) -> frozenset[str]:
    """What an entry built from the rows of `table` whose `column` is `value` depends on."""
    return frozenset({scope_tag(table, column, value), unscoped_tag(table)})


def _scope_tags(instance: object, mapper: Any) -> Iterable[str]:
    scopes: tuple[str, ...] = getattr(type(instance), "CACHE_SCOPES", ())
    if not scopes:
        return ()
    table = mapper.local_table.name
    attributes = inspect(instance).attrs
    tags: set[str] = set()
    for column in scopes:
        values = attributes[column].history.sum()  # as loaded, as set, and as replaced
        if not values:  # neither loaded nor set: which scope it is in is unknown
            return (unscoped_tag(table),)
        tags.update(scope_tag(table, column, value) for value in values)
    return tags


def _note_flushed_tables(session: Session, _flush_context: UOWTransaction) -> None:
    written = session.info.setdefault(_WRITTEN, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        mapper = inspect(instance).mapper
        written.update(table.name for table in mapper.tables)
        written.update(_scope_tags(instance, mapper))


def _note_statement_table(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        tags = (name, unscoped_tag(name)) if name else (ANY_TABLE,)
        state.session.info.setdefault(_WRITTEN, set()).update(tags)


def _invalidate_written_tables(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: nothing is visible to others yet
        return
    written = session.info.pop(_WRITTEN, None)
    engine = _engine_of(session) if written else None
    if engine is None:
        return
    # Every engine of this process on the same database: the app's, a script's, a test's.
    _invalidate_database(_database(engine), written)


def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit hook
        session.info.pop(_WRITTEN, None)


def install() -> None:
    """Register the cache's session hooks (``backend.database`` does, for every engine)."""
    listen_once(Session, "after_flush", _note_flushed_tables)
    listen_once(Session, "do_orm_execute", _note_statement_table)
    listen_once(Session, "after_commit", _invalidate_written_tables)
    listen_once(Session, "after_transaction_end", _forget_rolled_back)
    changes.before_send(_announce_written_tables)


# --- The two uses ---


def remember(session: Session, key: Hashable, load: Callable[[], T], *, tables: Iterable[str]) -> T:
    """A reference value from the cache of the session's database, or `load()` kept there.

    The value is shared between requests and threads: give only immutable values (frozen
    dataclasses, tuples) or ones nobody changes. A transaction that has itself written one of
    `tables` (a region pack load) reads its own writes: `load()`, neither cached nor kept."""
    tables = frozenset(tables)
    engine = _engine_of(session)
    if engine is None or _writes_to(session, tables):
        return load()
    cache = for_engine(engine)
    found = cache.get(key)
    if found is not None:
        return found
    generation = cache.generation
    value = load()
    cache.put(key, value, tables=tables, generation=generation)
    return value


def _writes_to(session: Session, tables: Iterable[str]) -> bool:
    """Whether this session's transaction has written (or is about to flush) one of `tables`."""
    written = set(session.info.get(_WRITTEN, ()))
    for instance in (*session.new, *session.dirty, *session.deleted):
        written.update(table.name for table in inspect(instance).mapper.tables)
    return ANY_TABLE in written or not written.isdisjoint(tables)


def _key(request: Request, language: str | None) -> Hashable:
    # The query string as sent: parsing it would cost more than the rest of a hit's lookup.
    return (request.scope["path"], request.scope["query_string"], language)


def _respond(request: Request, cached: CachedBody) -> Response:
    return conditional_response(
        request, cached.body, cached.etag, max_age=cached.max_age, language=cached.language
    )


async def cached_public_response(
    request: Request,
    build: Callable[[ModelSession], BaseModel],
    *,
    tables: Iterable[str],
    max_age: int,
    language: str | None = None,
) -> Response:
    """A public GET response from the cache, or `build(session)` serialised once and kept.

    Call it from an ``async def`` route of a `MicroCachedRoute` router: a hit costs no thread
    and no database. `build` runs in the thread pool with its own session. Give `language` when
    the body is in the reader's language (it becomes part of the key and ``Content-Language``).
    """
    engine = request.app.state.engine

    def render() -> bytes:
        with ModelSession(engine, expire_on_commit=False) as session:
            return build(session).model_dump_json().encode()

    cached = await for_engine(engine).get_or_build(
        _key(request, language), render, tables=tables, max_age=max_age, language=language
    )
    return _respond(request, cached)


class MicroCachedRoute(APIRoute):
    """A route that answers a GET from the microcache before FastAPI parses the request.

    Sound because only a successful response is ever cached, under the full path and query of
    a request that passed validation; anything else (a miss, an error, a body in the reader's
    language) goes through the route as usual. Routes without `cached_public_response` never
    find anything here, so a router may use this class for all its routes.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            if request.method == "GET":
                cache = _caches.get(request.app.state.engine)
                found = cache.get(_key(request, None)) if cache is not None else None
                if found is not None:
                    return _respond(request, found)
            return await handler(request)

        return answer

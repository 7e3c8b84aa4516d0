"""Rate limits on writes (sign-ups, filing, uploads, comments, support), shared by every worker.

The counting is the `limits` library's fixed-window strategy: a window opens at a key's first hit
and lasts the limit's period. Its counters live in Redis when ``WARGA_REDIS_URL`` is set, and
otherwise in the database (`DatabaseStorage`, a `limits` storage over one small table), so the
workers of a host and the hosts of a city count together either way.

A limited route declares ``dependencies=[limit_writes("filing")]`` (per account and per address)
or ``[limit_address("registration")]`` (no account yet); those count in a transaction of their
own before the route runs. A route that runs its write as one unit of work (complaint filing)
takes a `RouteLimits` parameter instead (``route_limits("filing")``), checked first and charged
just before the commit, in the write's own transaction. Over a limit the answer is a 429
problem with ``Retry-After``; every limited answer carries the IETF ``RateLimit-Policy`` and
``RateLimit`` fields (draft-ietf-httpapi-ratelimit-headers) describing the tightest limit.
"""

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Float, Insert, Integer, bindparam, case, delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.accounts.models import User
from backend.auth.dependencies import get_person_or_none
from backend.config import Settings
from backend.db import insert_on_conflict, table_of
from backend.errors import TooManyRequests, bilingual
from shared.errors import ErrorCode

logger = logging.getLogger("warga.ratelimit")

Action = Literal["registration", "filing", "uploads", "comments", "support"]
ACTIONS: tuple[Action, ...] = ("registration", "filing", "uploads", "comments", "support")
# Where a dependency leaves the tightest limit's state for `RateLimitHeaders` to announce.
STATE_KEY = "rate_limit"


class RateLimitCounter(SQLModel, table=True):
    """One fixed window of one rate-limit key: how many hits, and when the window ends."""

    __tablename__ = "rate_limit_counter"

    key: str = Field(primary_key=True, max_length=255)
    hits: int = 0
    # Seconds since the epoch (the `limits` storage interface speaks in them).
    expires_at: float = Field(sa_type=Float)


# The counters' statements, built once (building one costs more than running it); the key,
# the amount and the times are bound at execution.
_counters = table_of(RateLimitCounter).c
_ROWS_OF = select(_counters.key, _counters.hits, _counters.expires_at).where(
    _counters.key.in_(bindparam("keys", expanding=True))
)
_SWEEP = delete(table_of(RateLimitCounter)).where(_counters.expires_at <= bindparam("now"))


@cache
def _upsert(dialect: str) -> Insert:
    """Count `amount` hits of `key`: a new window (ending at `renewal`) if there is none or it
    ended by `now`, else added to the current one; returns the hits and the window's end."""
    amount = bindparam("amount", type_=Integer)
    renewal = bindparam("renewal", type_=Float)
    ended = _counters.expires_at <= bindparam("now", type_=Float)
    statement = insert_on_conflict(dialect, table_of(RateLimitCounter)).values(
        key=bindparam("key"), hits=amount, expires_at=renewal
    )
    return statement.on_conflict_do_update(
        index_elements=[_counters.key],
        set_={
            "hits": case((ended, amount), else_=_counters.hits + amount),
            "expires_at": case((ended, renewal), else_=_counters.expires_at),
        },
    ).returning(_counters.hits, _counters.expires_at)


@dataclass
class _Transaction:
    connection: Connection
    # The rows this transaction read or wrote, by key: a write's check, count and window state
    # then cost one read and one upsert per key.
    rows: dict[str, tuple[int, float] | None] = field(default_factory=dict)


class DatabaseStorage(Storage):
    """`limits` counters in the application's database (PostgreSQL or SQLite).

    Each hit is one atomic upsert that restarts an expired window or adds to the current one
    and returns the new count, so concurrent workers never lose a hit. Expired rows are swept
    now and then by whichever worker counts next. `batch()` runs a write's calls in one
    transaction on one connection.
    """

    STORAGE_SCHEME = None  # built by the app from its engine, never from a URL
    SWEEP_EVERY_SECONDS = 300.0

    def __init__(self, engine: Engine) -> None:
        super().__init__(wrap_exceptions=True)
        self._engine = engine
        self._next_sweep = 0.0
        self._current = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        current = getattr(self._current, "transaction", None)
        if current is not None:
            yield current
            return
        with self._engine.begin() as connection:
            if self._engine.dialect.name == "postgresql":
                # A counter lost to a crash in the last instant is harmless; waiting for the WAL
                # flush on every write is not.
                connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
            yield _Transaction(connection)

    @contextmanager
    def batch(self, connection: Connection | None = None) -> Iterator[None]:
        """Run the calls made meanwhile in one transaction: `connection`'s (a write's own, which
        then commits or rolls back the counts with everything else), or one of their own."""
        joined = nullcontext(_Transaction(connection)) if connection is not None else None
        with joined or self._transaction() as transaction:
            self._current.transaction = transaction
            try:
                yield
            finally:
                self._current.transaction = None

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        parameters = {"key": key, "amount": amount, "now": now, "renewal": now + expiry}
        with self._transaction() as transaction:
            upsert = _upsert(self._engine.dialect.name)
            hits, expires_at = transaction.connection.execute(upsert, parameters).one()
            transaction.rows[key] = (hits, expires_at)
            if now >= self._next_sweep:
                self._next_sweep = now + self.SWEEP_EVERY_SECONDS
                transaction.connection.execute(_SWEEP, {"now": now})
        return hits

    def prefetch(self, keys: list[str]) -> None:
        """Read the rows of `keys` in one statement, for the calls of this batch that follow
        (a write checks all its limits before counting one)."""
        with self._transaction() as transaction:
            missing = [key for key in keys if key not in transaction.rows]
            if not missing:
                return
            try:
                rows = transaction.connection.execute(_ROWS_OF, {"keys": missing})
            except SQLAlchemyError as error:  # as the `limits` methods report it
                raise StorageError(error) from error
            found = {key: (hits, expires_at) for key, hits, expires_at in rows}
            transaction.rows.update({key: found.get(key) for key in missing})

    def _row(self, key: str) -> tuple[int, float] | None:
        with self._transaction() as transaction:
            if key not in transaction.rows:
                row = transaction.connection.execute(_ROWS_OF, {"keys": [key]}).first()
                transaction.rows[key] = (row.hits, row.expires_at) if row else None
            cached = transaction.rows[key]
        return cached if cached is not None and cached[1] > time.time() else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine.begin() as connection:
            return connection.execute(delete(table_of(RateLimitCounter))).rowcount

    def clear(self, key: str) -> None:
        table = table_of(RateLimitCounter)
        with self._engine.begin() as connection:
            connection.execute(delete(table).where(table.c.key == key))


@dataclass(frozen=True)
class LimitState:
    """Where one caller stands against one limit after a hit."""

    policy: str  # e.g. "filing-account"
    limit: RateLimitItem
    remaining: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        # Structured-field lists of the draft: a named policy with its quota (q) and window (w),
        # and the remaining quota (r) with the seconds until it is restored (t).
        name, quota, window = self.policy, self.limit.amount, self.limit.get_expiry()
        return {
            "RateLimit-Policy": f'"{name}";q={quota};w={window}',
            "RateLimit": f'"{name}";r={max(self.remaining, 0)};t={self.reset_seconds}',
        }


class WriteLimits:
    """The deployment's write limits and their shared counters."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        if settings.redis_url:
            storage = storage_from_string(
                settings.redis_url, key_prefix=settings.redis_key_prefix, wrap_exceptions=True
            )
        else:
            storage = DatabaseStorage(engine)
        self.storage = storage
        # The database storage runs a write's checks and counts in one transaction.
        self._batch = storage.batch if isinstance(storage, DatabaseStorage) else nullcontext
        self._limiter = FixedWindowRateLimiter(storage)
        self._limits = {
            action: parse_many(getattr(settings, f"rate_limit_{action}")) for action in ACTIONS
        }
        self._address_factor = settings.rate_limit_address_factor

    def _scaled(self, limit: RateLimitItem, factor: int) -> RateLimitItem:
        if factor == 1:
            return limit
        return type(limit)(limit.amount * factor, limit.multiples, limit.namespace)

    def counted_against(
        self, action: Action, *, account_id: int | None, address: str | None
    ) -> list[tuple[str, str, RateLimitItem]]:
        """Each (partition, identifier, limit) a write of `action` is counted against."""
        partitions: list[tuple[str, str, int]] = [("address", address or "unknown", 1)]
        if account_id is not None:
            partitions = [
                ("account", str(account_id), 1),
                ("address", address or "unknown", self._address_factor),
            ]
        return [
            (partition, identifier, self._scaled(configured, factor))
            for partition, identifier, factor in partitions
            for configured in self._limits[action]
        ]

    def hit(
        self, action: Action, *, account_id: int | None, address: str | None
    ) -> LimitState | None:
        """Count one write; raise 429 when a limit is exceeded. Returns the tightest limit's
        state (None when the counters cannot be reached: then writes go on, logged)."""
        checks = self.counted_against(action, account_id=account_id, address=address)
        try:
            with self._batch():
                # A write refused by one limit is not charged to the others (a resident behind
                # a busy shared address keeps their own allowance); the hits themselves are
                # atomic.
                refused = self.refusal(action, checks)
                states = [refused] if refused else self.charge(action, checks)
        except StorageError as error:
            # A write limit guards against floods; an unreachable counter store must not stop
            # every resident from filing. Password hashing stays bounded either way.
            _log_unreachable(action, error)
            return None
        return _tightest(states)

    def refusal(
        self, action: str, checks: list[tuple[str, str, RateLimitItem]]
    ) -> LimitState | None:
        """The state of the first limit with no allowance left, or None."""
        if isinstance(self.storage, DatabaseStorage):
            self.storage.prefetch([limit.key_for(action, *key) for *key, limit in checks])
        for partition, identifier, limit in checks:
            if not self._limiter.test(limit, action, partition, identifier):
                return self._state(action, partition, identifier, limit, False)
        return None

    def charge(self, action: str, checks: list[tuple[str, str, RateLimitItem]]) -> list[LimitState]:
        return [self._count(action, *check) for check in checks]

    def _count(
        self, action: str, partition: str, identifier: str, limit: RateLimitItem
    ) -> LimitState:
        allowed = self._limiter.hit(limit, action, partition, identifier)
        return self._state(action, partition, identifier, limit, allowed)

    def _state(
        self, action: str, partition: str, identifier: str, limit: RateLimitItem, allowed: bool
    ) -> LimitState:
        stats = self._limiter.get_window_stats(limit, action, partition, identifier)
        return LimitState(
            policy=f"{action}-{partition}",
            limit=limit,
            remaining=stats.remaining if allowed else -1,
            reset_seconds=max(1, math.ceil(stats.reset_time - time.time())),
        )


class RateLimited(TooManyRequests):
    def __init__(self, state: LimitState) -> None:
        super().__init__(
            bilingual(
                "Terlalu banyak permintaan dalam waktu singkat; coba lagi nanti.",
                "Too many requests in a short time; try again later.",
            ),
            retry_after=state.reset_seconds,
        )
        self.code = ErrorCode.RATE_LIMITED
        self.headers.update(state.headers())


def _tightest(states: list[LimitState]) -> LimitState:
    """The state to announce; 429 when one of them is exceeded."""
    exceeded = [state for state in states if state.exceeded]
    if exceeded:
        raise RateLimited(max(exceeded, key=lambda state: state.reset_seconds))
    return min(states, key=lambda state: (state.remaining, -state.reset_seconds))


def _log_unreachable(action: str, error: StorageError) -> None:
    logger.error("rate-limit counters unreachable; %s not counted: %s", action, error)


class RouteLimits:
    """One write's limits, counted inside the write's own unit of work: `check` before it
    starts, `charge` just before it commits (``run_once(..., before_commit=...)``).

    With the counters in the database both run on the write's connection, so the write costs
    one transaction, not two, and a write refused at the charge (a concurrent one took the last
    of the allowance) is rolled back whole: it answers 429 and leaves nothing behind. So only
    writes that succeed are counted: one that fails (a 404, a 422) or that replays an earlier
    answer (``Idempotency-Key``) is not, and its answer carries no ``RateLimit`` fields. In
    Redis the counts are not transactional: a charge stands even if the commit then fails.
    An API client's writes are counted by its own per-client limit (``backend.clients``).
    """

    def __init__(
        self, request: Request, action: Action, checks: list[tuple[str, str, RateLimitItem]]
    ) -> None:
        self._request = request
        self._limits = _limits_of(request)
        self._action = action
        self._checks = checks

    @contextmanager
    def _counting(self, session: Session) -> Iterator[None]:
        storage = self._limits.storage
        if isinstance(storage, DatabaseStorage):
            # On the write's connection; a failure there is the write's failure.
            with storage.batch(session.connection()):
                yield
            return
        try:
            yield
        except StorageError as error:  # as in `WriteLimits.hit`: logged, not counted
            _log_unreachable(self._action, error)

    def check(self, session: Session) -> None:
        """429 if a limit has no allowance left; nothing is counted yet."""
        if not self._checks:
            return
        with self._counting(session):
            refused = self._limits.refusal(self._action, self._checks)
            if refused is not None:
                raise RateLimited(refused)

    def charge(self, session: Session) -> None:
        """Count the write against every limit; 429 if one is now exceeded."""
        if not self._checks:
            return
        with self._counting(session):
            state = _tightest(self._limits.charge(self._action, self._checks))
            setattr(self._request.state, STATE_KEY, state)


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _limits_of(request: Request) -> WriteLimits:
    return request.app.state.write_limits


def limit_address(action: Action) -> Any:
    """A route dependency counting `action` per client address (for callers not logged in)."""

    def count(request: Request) -> None:
        state = _limits_of(request).hit(action, account_id=None, address=_client_address(request))
        setattr(request.state, STATE_KEY, state)

    return Depends(count)


def limit_writes(action: Action) -> Any:
    """A route dependency counting `action` per account and per client address."""

    def count(request: Request, user: User | None = Depends(get_person_or_none)) -> None:
        if user is None:  # an API client: its per-client limit applies (backend.clients)
            return
        state = _limits_of(request).hit(
            action, account_id=user.id, address=_client_address(request)
        )
        setattr(request.state, STATE_KEY, state)

    return Depends(count)


def route_limits(action: Action) -> Any:
    """A route parameter's dependency: the caller's `RouteLimits` for `action`, for a route
    that counts in its own unit of work (an API client's: none to count)."""

    async def limits(
        request: Request, user: User | None = Depends(get_person_or_none)
    ) -> RouteLimits:
        if user is None:
            return RouteLimits(request, action, [])
        checks = _limits_of(request).counted_against(
            action, account_id=user.id, address=_client_address(request)
        )
        return RouteLimits(request, action, checks)

    return Depends(limits)


class RateLimitHeaders:
    """Adds the ``RateLimit``/``RateLimit-Policy`` fields of a limited route to its answer,
    whatever kind of response the route built (a model, a stored idempotent reply)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {}).get(STATE_KEY)
                if state is not None and message["status"] != 429:
                    message["headers"] = [
                        *message.get("headers", []),
                        *[(k.lower().encode(), v.encode()) for k, v in state.headers().items()],
                    ]
            await send(message)

        await self.app(scope, receive, send_with_limits)

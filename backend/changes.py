"""The change channel: how one process learns at once what another committed.

Writers call ``publish(session, topic, payload)`` inside their transaction. Nothing leaves until
the transaction commits, and nothing leaves at all if it rolls back:

* on PostgreSQL the messages go out with ``pg_notify`` as the transaction's last statement, so
  PostgreSQL delivers them, to every process listening, only once the commit is durable;
* on SQLite (one process) they are handed to this process's subscribers right after the commit.

Readers call ``channel_for(url).subscribe(topic, callback)``. Each process holds one channel per
database and, on PostgreSQL, one extra connection that does nothing but ``LISTEN`` (a thread
waits on it; callbacks run on that thread, so they must be quick and thread-safe, e.g. set an
event with ``loop.call_soon_threadsafe``).

The channel says whether it can be trusted: ``healthy`` is false until the listener is connected
and whenever it has dropped (messages sent meanwhile are lost). Every user of the channel must
then fall back to the safe side (a live stream polls, a cache is bypassed) and, when
``on_health_change`` reports it healthy again, assume it missed something.

Topics in use: ``inbox:<user id>`` (new inbox entries), ``auth:<user id>`` (sessions of the user
revoked: logout, password change, deactivation) and ``tables`` (the tables a transaction wrote;
other processes drop their microcache entries built from them).
"""

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import Text

from backend.db import listen_once, postgresql_url

if TYPE_CHECKING:  # psycopg is only installed with PostgreSQL (the `postgres` extra)
    import psycopg

logger = logging.getLogger("warga.changes")

PG_CHANNEL = "warga_changes"
# Marks this process's own messages, so a subscriber may skip what it did itself.
ORIGIN = uuid.uuid4().hex
HEARTBEAT_SECONDS = 10.0  # the listener checks its connection this often while idle
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits between attempts after a drop
CONNECT_TIMEOUT_SECONDS = 3

_PENDING = "changes_pending"

Callback = Callable[[Any, str], None]  # (payload, origin)


class ChangeChannel:
    """Subscribers by topic, fed by this process's listener (PostgreSQL) or its commits (SQLite)."""

    def __init__(self, database_url: str, *, listen_url: str | None = None) -> None:
        url = make_url(database_url)
        self.is_postgresql = url.get_backend_name() == "postgresql"
        # LISTEN needs a session of its own: behind PgBouncer in transaction mode it must go
        # to PostgreSQL directly (or to a session-mode pool), hence a URL of its own.
        listen = make_url(listen_url) if listen_url else url
        self._conninfo = (
            postgresql_url(listen)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
            if self.is_postgresql
            else ""
        )
        self._subscribers: dict[str, set[Callback]] = defaultdict(set)
        self._health_listeners: set[Callable[[bool], None]] = set()
        self._lock = threading.Lock()
        self._healthy = not self.is_postgresql  # in-process delivery cannot drop
        self._listener: threading.Thread | None = None
        self._started = False
        self._last_beat = 0.0
        self._stop = threading.Event()
        self.backend_pid: int | None = None  # the listening connection's server process

    # --- for readers ---

    @property
    def healthy(self) -> bool:
        """True when every committed message reaches this process's subscribers."""
        return self._healthy

    def subscribe(self, topic: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(payload, origin)` for each message on `topic`; returns the unsubscribe."""
        with self._lock:
            self._subscribers[topic].add(callback)
        self._start()
        return lambda: self._discard(self._subscribers, topic, callback)

    def on_health_change(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        with self._lock:
            self._health_listeners.add(callback)
        self._start()

        def unsubscribe() -> None:
            with self._lock:
                self._health_listeners.discard(callback)

        return unsubscribe

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)

    # --- delivery ---

    def deliver(self, topic: str, payload: Any, origin: str) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(topic, ()))
        for callback in callbacks:
            try:
                callback(payload, origin)
            except Exception:
                logger.exception("a change-channel subscriber failed on %s", topic)

    def _discard(self, registry: dict[str, Any], topic: str, callback: Callback) -> None:
        with self._lock:
            callbacks = registry.get(topic)
            if callbacks is not None:
                callbacks.discard(callback)
                if not callbacks:
                    del registry[topic]

    def _set_health(self, healthy: bool) -> None:
        if healthy == self._healthy:
            return
        self._healthy = healthy
        (logger.info if healthy else logger.warning)(
            "change channel %s", "listening" if healthy else "down: users fall back to polling"
        )
        with self._lock:
            listeners = list(self._health_listeners)
        for listener in listeners:
            try:
                listener(healthy)
            except Exception:
                logger.exception("a change-channel health listener failed")

    # --- the PostgreSQL listener ---

    def _start(self) -> None:
        if not self.is_postgresql:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        # The first connection is made here, so the channel is healthy when subscribe returns;
        # from then on the thread owns it.
        first = self._connect()
        self._listener = threading.Thread(
            target=self._listen_forever, args=(first,), name="warga-change-listener", daemon=True
        )
        self._listener.start()

    def _connect(self) -> "psycopg.Connection | None":
        import psycopg

        try:
            connection = psycopg.connect(
                self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            connection.execute(f"LISTEN {PG_CHANNEL}")
        except psycopg.Error as error:
            logger.warning("change channel cannot listen: %s", error)
            return None
        self.backend_pid = connection.info.backend_pid
        self._set_health(True)
        return connection

    def _listen_forever(self, connection: "psycopg.Connection | None") -> None:
        import psycopg

        attempt = 0
        while not self._stop.is_set():
            if connection is None:
                self._stop.wait(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                attempt += 1
                connection = self._connect()
                continue
            attempt = 0
            try:
                self._receive(connection)
            except psycopg.Error as error:
                logger.warning("change channel lost its connection: %s", error)
            except Exception:  # whatever it was, the thread must live on and say it is down
                logger.exception("change channel listener failed")
            self._set_health(False)
            connection.close()
            connection = None

    def _receive(self, connection: "psycopg.Connection") -> None:
        while not self._stop.is_set():
            for notice in connection.notifies(timeout=HEARTBEAT_SECONDS / 20):
                self._deliver_notice(notice.payload)
            if self._stop.is_set():
                return
            self._beat(connection)

    def _beat(self, connection: "psycopg.Connection") -> None:
        """A round trip now and then, so a silently dropped connection is noticed."""
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            connection.execute("SELECT 1")

    def _deliver_notice(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            topic, payload, origin = message["t"], message.get("p"), message["o"]
        except (ValueError, KeyError, TypeError):
            logger.warning("change channel ignored a malformed message")
            return
        self.deliver(topic, payload, origin)


_channels: dict[str, ChangeChannel] = {}
_channels_lock = threading.Lock()


def _key(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = postgresql_url(url)
    return url.render_as_string(hide_password=False)


def channel_for(database_url: str, *, listen_url: str | None = None) -> ChangeChannel:
    """This process's channel for the database at `database_url` (made on first use; the
    first caller's `listen_url`, if any, is where it listens)."""
    key = _key(database_url)
    with _channels_lock:
        channel = _channels.get(key)
        if channel is None:
            channel = _channels[key] = ChangeChannel(key, listen_url=listen_url)
        return channel


# --- for writers ---


def publish(session: Session, topic: str, payload: Any = None) -> None:
    """Announce `topic` (with a JSON-able `payload`) once the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append((topic, payload))


# Called at every commit before the messages go out; they may `publish` more (the microcache
# announces the tables the transaction wrote).
_before_send: list[Callable[[Session], None]] = []


def before_send(hook: Callable[[Session], None]) -> None:
    if hook not in _before_send:
        _before_send.append(hook)


_SEND = text(f"SELECT pg_notify('{PG_CHANNEL}', message) FROM unnest(:messages) AS message")
_SEND = _SEND.bindparams(bindparam("messages", type_=ARRAY(Text)))


def encode(topic: str, payload: Any) -> str:
    return json.dumps({"t": topic, "p": payload, "o": ORIGIN}, separators=(",", ":"))


def _dialect(session: Session) -> str | None:
    try:
        return session.get_bind().dialect.name
    except UnboundExecutionError:
        return None


def _send_with_the_commit(session: Session) -> None:
    if session.in_nested_transaction() or _dialect(session) != "postgresql":
        return
    if _before_send:
        session.flush()  # so hooks see everything the transaction wrote
        for hook in _before_send:
            hook(session)
    pending = session.info.pop(_PENDING, None)
    if pending:
        # PostgreSQL holds these back until the commit is durable, and drops them on rollback.
        messages = list(dict.fromkeys(encode(topic, payload) for topic, payload in pending))
        session.execute(_SEND, {"messages": messages})


def _deliver_in_process(session: Session) -> None:
    """SQLite: one process, so this process's subscribers are all there are."""
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    channel = channel_for(session.get_bind().engine.url.render_as_string(hide_password=False))
    for topic, payload in pending:
        channel.deliver(topic, payload, ORIGIN)


def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def install() -> None:
    """Register the channel's session hooks (``backend.database`` does, for every engine)."""
    listen_once(Session, "before_commit", _send_with_the_commit)
    listen_once(Session, "after_commit", _deliver_in_process)
    listen_once(Session, "after_transaction_end", _forget_rolled_back)

"""Verified access tokens kept in memory, so an authenticated request costs no database round
trip and no second JWT verification.

The first request with a token verifies it (python-jose) and loads its user and session; what
it finds (the user's column values, the session id, the token's expiry) is kept under the token
until the token expires. Later requests with the same token rebuild the ``User`` from those
values and attach it to their session without a query.

**Revocation.** Whatever can end a token's use — logout, a refresh token reused, a password
change, a deactivation, and any other change to the user's row — announces ``auth:<user id>``
on the change channel (``backend.changes``) with its commit:

* the process that committed drops the user's entries right after its commit (``after_commit``
  below), so its next request sees the change;
* every other worker and host drops them when the message arrives (milliseconds on PostgreSQL).

While the channel is down, messages may be lost: the cache is then bypassed (every request goes
to the database) and emptied, and it starts empty again when the channel is back.

A lookup that raced with an announcement is not kept (a generation number, as in the
microcache), and a user's topic is subscribed to *before* their row is read, so no message can
slip between the read and the keeping.

**Kept answers.** Each entry carries a `stamp`, unique in this process, that answers kept for
the caller (``backend.kept_answers``) are filed under: when the entry goes, they can no longer be
found, and a new verification gets a new stamp. Writes that change what the caller's own reads
show without changing the user's row (a NIK claim opened, withdrawn or decided) announce the
user themselves.
"""

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count
from types import MappingProxyType

from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    Session,
    SessionTransaction,
    UOWTransaction,
    class_mapper,
    make_transient_to_detached,
)

from backend import changes
from backend.accounts.models import User
from backend.db import listen_once

MAX_ENTRIES = 50_000  # tokens; least recently used go first (an entry is well under 1 kB)
_CHANGED_USERS = "auth_changed_users"
_USER_MAPPER = class_mapper(User)
_USER_COLUMNS = tuple(attribute.key for attribute in _USER_MAPPER.column_attrs)
_stamps = count(1)


def sessions_revoked_topic(user_id: int) -> str:
    """The change-channel topic announcing that a user's sessions ended or their row changed
    (live streams of the user check their session, caches drop the user's tokens)."""
    return f"auth:{user_id}"


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    user_id: int
    session_id: str
    expires_at: float  # the token's own expiry, seconds since the epoch
    user_values: Mapping[str, object]  # the user row's columns as last read
    # This verification, among all of this process: what answers kept for the caller go by.
    stamp: int = field(default_factory=lambda: next(_stamps))

    def user_in(self, session: Session) -> User:
        """The user, attached to `session` as if just loaded (changes to it are flushed)."""
        key = _USER_MAPPER.identity_key_from_primary_key((self.user_id,))
        existing = session.identity_map.get(key)
        if existing is not None:
            return existing
        user = self.detached_user()
        session.add(user)
        return user

    def detached_user(self) -> User:
        """The user as if loaded and then detached: for reads, which change nothing."""
        user = _USER_MAPPER.class_manager.new_instance()
        user.__dict__.update(self.user_values)
        make_transient_to_detached(user)
        return user

    @staticmethod
    def values_of(user: User) -> Mapping[str, object]:
        return MappingProxyType({key: user.__dict__[key] for key in _USER_COLUMNS})


class CallerCache:
    """Access token → `VerifiedCaller`, for one database, emptied by the change channel."""

    def __init__(
        self,
        channel: changes.ChangeChannel,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.channel = channel
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, VerifiedCaller] = OrderedDict()
        self._tokens_of: dict[int, set[str]] = {}
        self._lookups_of: dict[int, int] = {}  # lookups in flight, per user
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        this = weakref.ref(self)

        def clear(_healthy: bool) -> None:
            if (cache := this()) is not None:
                cache.clear()

        channel.on_health_change(clear)

    @property
    def usable(self) -> bool:
        return self.channel.healthy

    @property
    def generation(self) -> int:
        """Moves on with every change announced: an answer read about a caller after taking
        it may be kept for them only while it has not moved."""
        return self._generation

    def get(self, token: str) -> VerifiedCaller | None:
        if not self.usable:
            return None
        with self._lock:
            found = self._entries.get(token)
            if found is None:
                return None
            if found.expires_at <= self.clock():
                self._drop(token)
                return None
            self._entries.move_to_end(token)
            return found

    def begin_lookup(self, user_id: int) -> int:
        """Before reading `user_id`'s row: listen to their topic; the generation to `keep` with."""
        with self._lock:
            self._lookups_of[user_id] = self._lookups_of.get(user_id, 0) + 1
            subscribed = user_id in self._unsubscribe
            generation = self._generation
        if not subscribed:
            this = weakref.ref(self)

            def on_change(_payload: object, _origin: str) -> None:
                cache = this()
                if cache is not None:
                    cache.forget_user(user_id)

            unsubscribe = self.channel.subscribe(sessions_revoked_topic(user_id), on_change)
            with self._lock:
                if user_id in self._unsubscribe:
                    unsubscribe()  # another thread subscribed meanwhile
                else:
                    self._unsubscribe[user_id] = unsubscribe
        return generation

    def end_lookup(self, token: str, found: VerifiedCaller | None, *, generation: int) -> None:
        """Keep `found` (None: the lookup failed) unless a change was announced since
        `generation`, or the channel cannot be trusted."""
        user_id = None
        with self._lock:
            if found is not None:
                user_id = found.user_id
            if found is not None and generation == self._generation and self.usable:
                if token in self._entries:
                    self._drop(token)
                self._entries[token] = found
                self._tokens_of.setdefault(found.user_id, set()).add(token)
                while len(self._entries) > self.max_entries:
                    self._drop(next(iter(self._entries)))
        if user_id is not None:
            self._lookup_done(user_id)

    def lookup_failed(self, user_id: int) -> None:
        self._lookup_done(user_id)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            self._generation += 1
            for token in list(self._tokens_of.get(user_id, ())):
                self._drop(token)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            for token in list(self._entries):
                self._drop(token)

    def __len__(self) -> int:
        return len(self._entries)

    def _lookup_done(self, user_id: int) -> None:
        with self._lock:
            left = self._lookups_of.get(user_id, 1) - 1
            if left:
                self._lookups_of[user_id] = left
            else:
                self._lookups_of.pop(user_id, None)
            unsubscribe = self._release_if_unused(user_id)
        if unsubscribe is not None:
            unsubscribe()

    def _drop(self, token: str) -> None:
        """Under the lock. The user's subscription goes with their last token (later, outside
        the lock, for a user with lookups in flight)."""
        entry = self._entries.pop(token)
        tokens = self._tokens_of.get(entry.user_id)
        if tokens is not None:
            tokens.discard(token)
            if not tokens:
                del self._tokens_of[entry.user_id]
        unsubscribe = self._release_if_unused(entry.user_id)
        if unsubscribe is not None:
            unsubscribe()  # only takes the channel's own lock

    def _release_if_unused(self, user_id: int) -> Callable[[], None] | None:
        if user_id in self._tokens_of or user_id in self._lookups_of:
            return None
        return self._unsubscribe.pop(user_id, None)


# --- One cache per engine ---

_caches: "weakref.WeakKeyDictionary[Engine, CallerCache]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def for_engine(engine: Engine) -> CallerCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = CallerCache(changes.channel_for(_database(engine)))
        return cache


# --- Announcing changes ---


def announce_user_changed(session: Session, user_id: int) -> None:
    """With the session's commit: drop `user_id`'s tokens here at once, and everywhere else
    through the change channel."""
    changed = session.info.setdefault(_CHANGED_USERS, set())
    if user_id not in changed:
        changed.add(user_id)
        changes.publish(session, sessions_revoked_topic(user_id))


def _note_changed_users(session: Session, _context: UOWTransaction, _instances: object) -> None:
    # A changed role, agency, name or status must not be served from a stale copy.
    for instance in (*session.dirty, *session.deleted):
        changed = instance in session.deleted or session.is_modified(instance)
        if isinstance(instance, User) and instance.id is not None and changed:
            announce_user_changed(session, instance.id)


def _forget_changed_users(session: Session) -> None:
    if session.in_nested_transaction():
        return
    changed = session.info.pop(_CHANGED_USERS, None)
    if not changed:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    database = _database(engine)
    with _caches_lock:
        caches = [cache for other, cache in _caches.items() if _database(other) == database]
    for cache in caches:
        for user_id in changed:
            cache.forget_user(user_id)


def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED_USERS, None)


def install() -> None:
    """Register the cache's session hooks (``backend.database`` does, for every engine)."""
    listen_once(Session, "before_flush", _note_changed_users)
    listen_once(Session, "after_commit", _forget_changed_users)
    listen_once(Session, "after_transaction_end", _forget_rolled_back)

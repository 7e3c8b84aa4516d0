"""Logging in, refreshing with rotation and reuse detection, logging out, throttling.

Functions flush but never commit: the router decides when the request's work is durable.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.accounts.passwords import PasswordHashing
from backend.auth import caller_cache
from backend.auth.caller_cache import (
    VerifiedCaller,
    announce_user_changed,
)
from backend.auth.caller_cache import (
    sessions_revoked_topic as sessions_revoked_topic,  # re-exported: live streams follow it
)
from backend.auth.models import AuthSession, LoginThrottle, RefreshToken
from backend.auth.tokens import TokenClaims, decode_token, is_client_token, issue_token
from backend.config import Settings
from backend.db import insert_on_conflict, utcnow
from backend.errors import Forbidden, TooManyRequests, Unauthorized, bilingual
from shared.errors import ErrorCode
from shared.validators import InvalidValue, normalize_phone


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user_by_login(session: Session, username: str) -> User | None:
    """``username`` is an email address or an Indonesian mobile number in any common form."""
    name = username.strip()
    if "@" in name:
        return session.scalar(select(User).where(col(User.email) == name.lower()))
    try:
        phone = normalize_phone(name)
    except InvalidValue:
        return None
    return session.scalar(select(User).where(col(User.phone) == phone))


# --- throttling -------------------------------------------------------------------------------


def _throttle_keys(
    settings: Settings, username: str, client_address: str | None
) -> list[tuple[str, int]]:
    """(counter key, failures that lock it). An account locks after a few failures from
    anywhere. An address is counted per account it tries, so residents behind one carrier NAT
    or office proxy do not lock each other out; only an address failing far more often (one
    source trying many accounts) locks as a whole, at its own higher ceiling."""
    account = username.strip().lower()
    address = client_address or "unknown"
    return [
        ("account:" + account, settings.login_max_failures),
        (f"address-account:{address}|{account}"[:300], settings.login_max_failures),
        ("address:" + address, settings.login_address_max_failures),
    ]


def _ensure_not_locked(session: Session, keys: list[tuple[str, int]]) -> None:
    now = utcnow()
    rows = session.scalars(
        select(LoginThrottle).where(col(LoginThrottle.key).in_([key for key, _ in keys]))
    )
    waits = [(row.locked_until - now).total_seconds() for row in rows if row.locked_until]
    if waits and max(waits) > 0:
        raise TooManyRequests(
            "Too many failed logins; try again later.", retry_after=int(max(waits)) + 1
        )


def _record_failure(session: Session, settings: Settings, keys: list[tuple[str, int]]) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    for key, limit in keys:
        window_expired = col(LoginThrottle.window_started_at) < now - window
        # One atomic upsert, so concurrent failures neither race nor collide on the key.
        statement = insert_on_conflict(session.get_bind().dialect.name, LoginThrottle).values(
            key=key, failures=1, window_started_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[col(LoginThrottle.key)],
            set_={
                "failures": case((window_expired, 1), else_=col(LoginThrottle.failures) + 1),
                "window_started_at": case(
                    (window_expired, now), else_=col(LoginThrottle.window_started_at)
                ),
            },
        )
        session.execute(statement)
        session.execute(
            update(LoginThrottle)
            .where(col(LoginThrottle.key) == key)
            .where(col(LoginThrottle.failures) >= limit)
            .values(locked_until=now + window, failures=0, window_started_at=now)
        )


def _clear_failures(session: Session, keys: list[str]) -> None:
    session.execute(
        update(LoginThrottle)
        .where(col(LoginThrottle.key).in_(keys))
        .values(failures=0, locked_until=None)
    )


def confirm_password(
    session: Session, *, settings: Settings, hashing: PasswordHashing, user: User, password: str
) -> bool:
    """A signed-in person re-entering their password to change it or their e-mail, phone or
    NIK. Counted per account like logins, so whoever holds a stolen access token cannot guess
    the password through these forms; a failure is flushed, and the caller commits it even
    though it then refuses."""
    keys = [(f"confirm:{user.id}", settings.login_max_failures)]
    _ensure_not_locked(session, keys)
    if not hashing.verify(user.password_hash, password):
        _record_failure(session, settings, keys)
        return False
    _clear_failures(session, [key for key, _ in keys])
    return True


# --- sessions and tokens ----------------------------------------------------------------------


def _issue_pair(
    session: Session, settings: Settings, *, user: User, auth_session: AuthSession
) -> TokenPair:
    extra = {"role": str(user.role)}
    access, _ = issue_token(
        settings, user_id=user.id, session_id=auth_session.id, token_type="access", extra=extra
    )
    refresh, refresh_expires = issue_token(
        settings, user_id=user.id, session_id=auth_session.id, token_type="refresh"
    )
    session.add(
        RefreshToken(
            session_id=auth_session.id, token_hash=_hash_token(refresh), expires_at=refresh_expires
        )
    )
    session.flush()
    return TokenPair(access, refresh, settings.access_token_minutes * 60, user)


def login(
    session: Session,
    *,
    settings: Settings,
    hashing: PasswordHashing,
    username: str,
    password: str,
    client_address: str | None,
    user_agent: str | None,
) -> TokenPair:
    """Check the password and open a new session. Failures are flushed before raising, so the
    caller must commit even when this raises (the throttle counts them)."""
    keys = _throttle_keys(settings, username, client_address)
    _ensure_not_locked(session, keys)
    user = find_user_by_login(session, username)
    verified = hashing.verify(user.password_hash if user else None, password)
    if user is None or not verified:
        _record_failure(session, settings, keys)
        raise Unauthorized("Wrong username or password.", code=ErrorCode.INVALID_CREDENTIALS)
    if not user.is_active:
        raise Unauthorized("This account has been deactivated.", code=ErrorCode.ACCOUNT_INACTIVE)
    # The account's counters start again; the address's own ceiling does not (one's own
    # account must not reset a count of attempts on everybody else's).
    _clear_failures(session, [key for key, _ in keys[:2]])
    if hashing.needs_rehash(user.password_hash):
        user.password_hash = hashing.hash(password)
    auth_session = AuthSession(
        id=uuid.uuid4().hex, user_id=user.id, user_agent=(user_agent or "")[:255] or None
    )
    session.add(auth_session)
    session.flush()
    return _issue_pair(session, settings, user=user, auth_session=auth_session)


def refresh(session: Session, *, settings: Settings, refresh_token: str) -> TokenPair:
    """Swap a refresh token for a new pair. A token presented twice means it was stolen (or the
    thief used it first): the whole session is revoked. Flushes before raising; commit anyway."""
    claims = decode_token(settings, refresh_token, expected_type="refresh")
    stored = session.scalar(
        select(RefreshToken).where(col(RefreshToken.token_hash) == _hash_token(refresh_token))
    )
    auth_session = session.get(AuthSession, claims.session_id)
    if stored is None or auth_session is None or stored.session_id != auth_session.id:
        raise Unauthorized("The refresh token is not valid.", code=ErrorCode.INVALID_TOKEN)
    if auth_session.revoked_at is not None:
        raise Unauthorized("This session has ended.", code=ErrorCode.TOKEN_REVOKED)
    now = utcnow()
    # Mark used only if still unused: of two concurrent refreshes exactly one wins.
    marked = session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.id) == stored.id, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
    )
    if marked.rowcount != 1:
        _revoke(session, auth_session, reason="refresh_reuse", now=now)
        session.flush()
        raise Unauthorized(
            "This refresh token was already used; the session has been ended for safety.",
            code=ErrorCode.REFRESH_TOKEN_REUSED,
        )
    user = session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This account has been deactivated.", code=ErrorCode.ACCOUNT_INACTIVE)
    auth_session.last_used_at = now
    return _issue_pair(session, settings, user=user, auth_session=auth_session)


def _revoke(session: Session, auth_session: AuthSession, *, reason: str, now: datetime) -> None:
    if auth_session.revoked_at is None:
        auth_session.revoked_at = now
        auth_session.revoked_reason = reason
        announce_user_changed(session, auth_session.user_id)


def logout(session: Session, *, session_id: str) -> None:
    auth_session = session.get(AuthSession, session_id)
    if auth_session is not None:
        _revoke(session, auth_session, reason="logout", now=utcnow())
        session.flush()


def revoke_user_sessions(
    session: Session, *, user_id: int, reason: str, keep_session_id: str | None = None
) -> None:
    statement = (
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if keep_session_id:
        statement = statement.where(col(AuthSession.id) != keep_session_id)
    session.execute(statement)
    announce_user_changed(session, user_id)


def session_is_active(session: Session, *, session_id: str, user_id: int) -> bool:
    """Whether the login `session_id` of `user_id` still stands (not revoked, user active)."""
    row = session.execute(_CALLER, {"session_id": session_id, "user_id": user_id}).first()
    return row is not None and row[1] is None and row[0].is_active


# Built once: every authenticated request runs it (one indexed lookup by primary keys).
_CALLER = (
    select(User, col(AuthSession.revoked_at))
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


def authenticate(session: Session, *, settings: Settings, access_token: str) -> tuple[User, str]:
    """The user behind an access token. The token is verified and its user and session read
    once; later requests find them in this process's cache (see `caller_cache`), which drops
    them as soon as a logout, password change or deactivation is announced."""
    cache = caller_cache.for_engine(session.get_bind().engine)
    known = cache.get(access_token)
    if known is None:
        known = _verify(session, cache, settings=settings, access_token=access_token)
    return known.user_in(session), known.session_id


def known_caller(session: Session, *, access_token: str) -> VerifiedCaller | None:
    """The caller behind a token this process verified before and nothing has revoked since
    (no I/O); None when it must be `authenticate`d."""
    return caller_cache.for_engine(session.get_bind().engine).get(access_token)


def _verify(
    session: Session, cache: caller_cache.CallerCache, *, settings: Settings, access_token: str
) -> VerifiedCaller:
    claims = _decode_access(settings, access_token)
    generation = cache.begin_lookup(claims.user_id)
    try:
        user = _active_user(session, claims)
    except BaseException:
        cache.lookup_failed(claims.user_id)
        raise
    verified = VerifiedCaller(
        user_id=claims.user_id,
        session_id=claims.session_id,
        expires_at=claims.expires_at.timestamp(),
        user_values=VerifiedCaller.values_of(user),
    )
    cache.end_lookup(access_token, verified, generation=generation)
    return verified


def _decode_access(settings: Settings, access_token: str) -> TokenClaims:
    try:
        return decode_token(settings, access_token, expected_type="access")
    except Unauthorized:
        if is_client_token(access_token):
            # A client is never a resident or an officer: say so instead of "log in".
            raise Forbidden(
                bilingual(
                    "Layanan ini untuk penduduk dan petugas, bukan klien API.",
                    "This operation is for residents and staff, not API clients.",
                ),
                code=ErrorCode.CLIENT_NOT_ALLOWED,
            ) from None
        raise


def download_link(
    settings: Settings, *, user: User, session_id: str, resource: str
) -> tuple[str, datetime]:
    """A short-lived token that opens `resource` (e.g. ``permit-certificate:42``) for `user`
    without the bearer header; it ends with the session like the access tokens do."""
    return issue_token(
        settings,
        user_id=user.id,
        session_id=session_id,
        token_type="download",
        extra={"res": resource},
    )


def authenticate_download(
    session: Session, *, settings: Settings, token: str, resource: str
) -> User:
    """The user a download token was made for, if it was made for `resource`."""
    claims = decode_token(settings, token, expected_type="download")
    if claims.resource != resource:
        raise Unauthorized("The link is for another file.", code=ErrorCode.INVALID_TOKEN)
    return _active_user(session, claims)


def _active_user(session: Session, claims: TokenClaims) -> User:
    row = session.execute(
        _CALLER, {"session_id": claims.session_id, "user_id": claims.user_id}
    ).first()
    if row is None:
        raise Unauthorized("The token is not valid.", code=ErrorCode.INVALID_TOKEN)
    user, revoked_at = row
    if revoked_at is not None:
        raise Unauthorized("This session has ended.", code=ErrorCode.TOKEN_REVOKED)
    if not user.is_active:
        raise Unauthorized("This account has been deactivated.", code=ErrorCode.ACCOUNT_INACTIVE)
    return user

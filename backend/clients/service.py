"""Registering, rotating and revoking API clients; their tokens, rate limits and audit trail.

Functions flush but never commit, except `record_use`, which is its own small transaction.
"""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import unquote_plus

from sqlalchemy import case, or_, select, update
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.auth.tokens import ClientClaims, decode_client_token, issue_client_token
from backend.clients.models import ApiClient, ApiClientAudit, ApiClientUsage, ComplaintChannel
from backend.clients.schemas import ClientCreate, ClientCredentials, ClientRead, ClientUpdate
from backend.clients.scopes import parse_scopes
from backend.complaints.models import Complaint
from backend.config import Settings
from backend.db import insert_on_conflict, utcnow
from backend.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    bilingual,
)
from backend.region.models import Agency
from backend.region.service import get_agency_by_code
from shared.errors import ErrorCode
from shared.roles import Role

CLIENT_ID_PREFIX = "wc_"
SECRET_PREFIX = "wcs_"
RATE_WINDOW = dt.timedelta(minutes=1)
# A hash no secret has: compared against when the client is unknown, so both paths cost alike.
_NO_SECRET = "0" * 64


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- Registration -----------------------------------------------------------------------------


def create_client(
    session: Session, *, data: ClientCreate, created_by: User | None
) -> tuple[ApiClient, str]:
    """A new client and its secret (returned once, stored only as a hash)."""
    agency_id = None
    if data.agency:
        try:
            agency_id = get_agency_by_code(session, code=data.agency).id
        except NotFound:
            raise Unprocessable.for_field(
                "agency",
                ErrorCode.VALIDATION_FAILED,
                bilingual("Instansi tidak dikenal.", "Unknown agency."),
            ) from None
    # The account its complaints are filed under: no email, phone or usable password, so
    # nobody can log in as it; the client's own tokens never resolve to it.
    channel = User(full_name=data.name, password_hash="!", role=Role.RESIDENT)
    session.add(channel)
    session.flush()
    secret = _new_secret()
    client = ApiClient(
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(10),
        name=data.name,
        contact_email=data.contact_email,
        scopes=[str(scope) for scope in dict.fromkeys(data.scopes)],
        agency_id=agency_id,
        secret_hash=hash_secret(secret),
        rate_limit_per_minute=data.rate_limit_per_minute,
        channel_user_id=channel.id,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(client)
    session.flush()
    return client, secret


def get_client(session: Session, *, client_id: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(col(ApiClient.client_id) == client_id))
    if client is None:
        raise NotFound(bilingual("Klien API tidak ditemukan.", "There is no such API client."))
    return client


def list_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(col(ApiClient.id))))


def update_client(session: Session, *, client: ApiClient, data: ClientUpdate) -> None:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "scopes" in changes:
        changes["scopes"] = [str(scope) for scope in dict.fromkeys(changes["scopes"])]
    for name, value in changes.items():
        setattr(client, name, value)
    session.flush()


def rotate_secret(
    session: Session, *, client: ApiClient, settings: Settings
) -> tuple[ApiClient, str]:
    """A new secret; the current one keeps working for the grace period (then stops)."""
    if client.revoked_at is not None:
        raise _revoked_client()
    now = utcnow()
    secret = _new_secret()
    client.previous_secret_hash = client.secret_hash
    client.previous_secret_expires_at = now + dt.timedelta(hours=settings.client_secret_grace_hours)
    client.secret_hash = hash_secret(secret)
    session.flush()
    return client, secret


def revoke(session: Session, *, client: ApiClient) -> None:
    """The client's secrets and tokens stop working at once."""
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.flush()


def _revoked_client() -> Problem:
    return Conflict(bilingual("Klien API sudah dicabut.", "The API client has been revoked."))


def to_read(session: Session, client: ApiClient) -> ClientRead:
    agency = session.get(Agency, client.agency_id) if client.agency_id else None
    return ClientRead(
        client_id=client.client_id,
        name=client.name,
        contact_email=client.contact_email,
        scopes=client.scopes,
        agency=agency.code if agency else None,
        rate_limit_per_minute=client.rate_limit_per_minute,
        created_at=client.created_at,
        last_used_at=client.last_used_at,
        revoked_at=client.revoked_at,
        previous_secret_expires_at=client.previous_secret_expires_at,
    )


def to_credentials(session: Session, client: ApiClient, secret: str) -> ClientCredentials:
    return ClientCredentials(**to_read(session, client).model_dump(), client_secret=secret)


def audit_trail(
    session: Session, *, client: ApiClient, before_id: int | None, limit: int
) -> list[ApiClientAudit]:
    """The client's requests, newest first."""
    statement = select(ApiClientAudit).where(col(ApiClientAudit.client_pk) == client.id)
    if before_id is not None:
        statement = statement.where(col(ApiClientAudit.id) < before_id)
    return list(session.scalars(statement.order_by(col(ApiClientAudit.id).desc()).limit(limit)))


# --- Client authentication (RFC 6749 §2.3.1) ------------------------------------------------


@dataclass(frozen=True)
class PresentedCredentials:
    client_id: str
    client_secret: str


def oauth_error(status: int, error: ErrorCode, detail: str) -> Problem:
    """An RFC 6749 §5.2 error in problem+json: `error` and `error_description` as OAuth2
    clients expect them, beside our `code` and `detail`. A failed client authentication asks
    for HTTP Basic, the scheme the token endpoint authenticates clients with."""
    problem = Problem(
        detail, code=error, extensions={"error": error.value, "error_description": detail}
    )
    problem.status = status
    if status == 401:
        problem.headers["WWW-Authenticate"] = 'Basic realm="warga"'
    return problem


def presented_credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> PresentedCredentials:
    """The client's id and secret from HTTP Basic or the form, never both (RFC 6749 §2.3)."""
    if authorization and authorization[:6].lower() == "basic ":
        if client_secret:
            raise oauth_error(
                400,
                ErrorCode.INVALID_REQUEST,
                "Send the client's credentials in one way only: HTTP Basic or the form.",
            )
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            name, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            name, secret = "", ""
        # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
        name, secret = unquote_plus(name), unquote_plus(secret)
        if not name or not secret or (client_id and client_id != name):
            raise oauth_error(401, ErrorCode.INVALID_CLIENT, "The client credentials are wrong.")
        return PresentedCredentials(name, secret)
    if not client_id or not client_secret:
        raise oauth_error(
            401,
            ErrorCode.INVALID_CLIENT,
            "Send client_id and client_secret (form fields or HTTP Basic).",
        )
    return PresentedCredentials(client_id, client_secret)


def _secret_matches(client: ApiClient | None, secret: str, now: dt.datetime) -> bool:
    presented = hash_secret(secret)
    current = hmac.compare_digest(presented, client.secret_hash if client else _NO_SECRET)
    previous = (
        client is not None
        and client.previous_secret_hash is not None
        and client.previous_secret_expires_at is not None
        and client.previous_secret_expires_at > now
        and hmac.compare_digest(presented, client.previous_secret_hash)
    )
    return current or previous


def grant_client_token(
    session: Session,
    *,
    settings: Settings,
    credentials: PresentedCredentials,
    scope: str | None,
) -> tuple[str, int, list[str]]:
    """The client-credentials grant: a token with the asked scopes (all of the client's when
    none are asked)."""
    now = utcnow()
    client = session.scalar(
        select(ApiClient).where(col(ApiClient.client_id) == credentials.client_id)
    )
    verified = _secret_matches(client, credentials.client_secret, now)
    if client is None or not verified or client.revoked_at:
        raise oauth_error(
            401,
            ErrorCode.INVALID_CLIENT,
            "The client credentials are wrong or the client was revoked.",
        )
    asked = parse_scopes(scope or "")
    if not asked:
        granted = list(client.scopes)
    else:
        not_granted = [name for name in asked if name not in client.scopes]
        if not_granted:
            raise oauth_error(
                400,
                ErrorCode.INVALID_SCOPE,
                f"Not granted to this client: {' '.join(not_granted)}.",
            )
        granted = asked
    token, lifetime = issue_client_token(settings, client_id=client.client_id, scopes=granted)
    return token, lifetime, granted


def client_by_api_key(session: Session, *, api_key: str) -> ApiClient | None:
    """Open311's `api_key` is the client's secret (the current one, or the previous one in its
    grace period)."""
    digest = hash_secret(api_key)
    client = session.scalar(
        select(ApiClient).where(
            or_(col(ApiClient.secret_hash) == digest, col(ApiClient.previous_secret_hash) == digest)
        )
    )
    if client is None or client.revoked_at is not None:
        return None
    if client.secret_hash != digest and not (
        client.previous_secret_expires_at and client.previous_secret_expires_at > utcnow()
    ):
        return None
    return client


def record_channel(
    session: Session,
    *,
    complaint: Complaint,
    client: ApiClient,
    via: str,
    submitter_name: str | None = None,
    submitter_email: str | None = None,
    submitter_phone: str | None = None,
    media_url: str | None = None,
) -> ComplaintChannel:
    """Note that `client` filed the complaint, with the submitter's contact (kept private)."""
    channel = ComplaintChannel(
        complaint_id=complaint.id,
        client_pk=client.id,
        via=via,
        submitter_name=submitter_name,
        submitter_email=submitter_email,
        submitter_phone=submitter_phone,
        media_url=media_url,
    )
    session.add(channel)
    session.flush()
    return channel


# --- Using a token ---------------------------------------------------------------------------


def authenticate_token(
    session: Session, *, settings: Settings, token: str
) -> tuple[ApiClient, ClientClaims]:
    claims = decode_client_token(settings, token)
    client = session.scalar(select(ApiClient).where(col(ApiClient.client_id) == claims.client_id))
    if client is None:
        raise Unauthorized("The token is not valid.", code=ErrorCode.INVALID_TOKEN)
    if client.revoked_at is not None:
        raise Unauthorized("The API client has been revoked.", code=ErrorCode.TOKEN_REVOKED)
    # A scope the admin has taken away since the token was issued no longer counts.
    still_granted = tuple(scope for scope in claims.scopes if scope in client.scopes)
    return client, ClientClaims(client_id=claims.client_id, scopes=still_granted)


def require_scopes(granted: tuple[str, ...] | list[str], accepted: list[str]) -> None:
    """The operation accepts any one of `accepted` (RFC 6750 §3.1: 403 insufficient_scope)."""
    if accepted and not set(accepted) & set(granted):
        needed = " ".join(accepted)
        raise Forbidden(
            f"This operation needs one of these scopes: {needed}.",
            code=ErrorCode.INSUFFICIENT_SCOPE,
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
            extensions={"error": "insufficient_scope"},
        )


def record_use(session: Session, *, client: ApiClient, method: str, path: str) -> None:
    """Count the request against the client's per-minute limit (429 past it), note it in the
    audit trail and the last-used time. Commits: the count must hold even if the operation
    fails, and every worker shares it."""
    now = utcnow()
    window_over = col(ApiClientUsage.window_started_at) <= now - RATE_WINDOW
    statement = insert_on_conflict(session.get_bind().dialect.name, ApiClientUsage).values(
        client_pk=client.id, window_started_at=now, requests=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=[col(ApiClientUsage.client_pk)],
        set_={
            "requests": case((window_over, 1), else_=col(ApiClientUsage.requests) + 1),
            "window_started_at": case(
                (window_over, now), else_=col(ApiClientUsage.window_started_at)
            ),
        },
    )
    session.execute(statement)
    usage = session.get_one(ApiClientUsage, client.id, populate_existing=True)
    if usage.requests > client.rate_limit_per_minute:
        session.commit()
        wait = (usage.window_started_at + RATE_WINDOW - now).total_seconds()
        raise TooManyRequests(
            bilingual(
                "Batas permintaan per menit klien ini terlampaui.",
                "This client's requests per minute are used up.",
            ),
            retry_after=int(wait) + 1,
            code=ErrorCode.RATE_LIMITED,
        )
    session.execute(
        update(ApiClient).where(col(ApiClient.id) == client.id).values(last_used_at=now)
    )
    session.add(ApiClientAudit(client_pk=client.id, method=method, path=path[:300], at=now))
    session.commit()

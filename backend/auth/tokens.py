"""JWT creation and verification (python-jose, HS256 pinned).

Every token carries ``iss``, ``aud``, ``exp``, ``iat``, ``sub``, ``jti`` and ``type``; decoding
requires all of them, accepts only the pinned algorithm (so ``alg: none`` and key confusion fail)
and checks the type, so a refresh token cannot be used as an access token or the reverse.

A third type, ``download``, makes a link for a file the caller may read (``res`` names it) that
works without the bearer header for a few minutes: a phone hands the link to its browser or PDF
viewer, which cannot send the app's token.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from jose import ExpiredSignatureError, JWTError, jwt

from backend.config import Settings
from backend.errors import Unauthorized
from shared.errors import ErrorCode

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh", "download"]
DOWNLOAD_LINK_MINUTES = 10  # long enough for a slow phone to start the download
_REQUIRED = ("iss", "aud", "exp", "iat", "sub", "jti")


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str
    token_type: TokenType
    issued_at: datetime
    expires_at: datetime
    resource: str | None = None  # download tokens: the one file they open


def issue_token(
    settings: Settings,
    *,
    user_id: int,
    session_id: str,
    token_type: TokenType,
    extra: dict[str, Any] | None = None,
) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    lifetime = {
        "access": timedelta(minutes=settings.access_token_minutes),
        "refresh": timedelta(days=settings.refresh_token_days),
        "download": timedelta(minutes=DOWNLOAD_LINK_MINUTES),
    }[token_type]
    expires_at = now + lifetime
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
        "sid": session_id,
        "type": token_type,
        **(extra or {}),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), expires_at


def _verified_claims(settings: Settings, token: str) -> dict[str, Any]:
    """The claims of a token signed with our key, for us, by us, unexpired: any type."""
    try:
        return jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={f"require_{claim}": True for claim in _REQUIRED},
        )
    except ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code=ErrorCode.TOKEN_EXPIRED) from None
    except JWTError:
        raise Unauthorized("The token is not valid.", code=ErrorCode.INVALID_TOKEN) from None


def decode_token(settings: Settings, token: str, *, expected_type: TokenType) -> TokenClaims:
    claims = _verified_claims(settings, token)
    if claims.get("type") != expected_type:
        raise Unauthorized(
            f"An {expected_type} token is required here.", code=ErrorCode.INVALID_TOKEN
        )
    try:
        return TokenClaims(
            user_id=int(claims["sub"]),
            session_id=str(claims["sid"]),
            token_type=expected_type,
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            resource=claims.get("res"),
        )
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("The token is not valid.", code=ErrorCode.INVALID_TOKEN) from None


# --- API clients (OAuth2 client credentials) ---------------------------------------------------

CLIENT_TOKEN_TYPE = "client"


@dataclass(frozen=True)
class ClientClaims:
    client_id: str
    scopes: tuple[str, ...]


def issue_client_token(settings: Settings, *, client_id: str, scopes: list[str]) -> tuple[str, int]:
    """An access token for an API client: no session and no refresh token; the client asks
    again with its credentials when it expires. Returns the token and its lifetime in seconds."""
    now = datetime.now(UTC)
    lifetime = settings.client_token_minutes * 60
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": f"client:{client_id}",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "jti": uuid.uuid4().hex,
        "type": CLIENT_TOKEN_TYPE,
        "scope": " ".join(scopes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), lifetime


def is_client_token(token: str) -> bool:
    """Whether a token claims to be a client's (unverified: only picks the path that verifies)."""
    try:
        return jwt.get_unverified_claims(token).get("type") == CLIENT_TOKEN_TYPE
    except (JWTError, AttributeError):
        return False


def decode_client_token(settings: Settings, token: str) -> ClientClaims:
    claims = _verified_claims(settings, token)
    subject = claims.get("sub")
    scope = claims.get("scope")
    if (
        claims.get("type") != CLIENT_TOKEN_TYPE
        or not isinstance(subject, str)
        or not subject.startswith("client:")
        or not isinstance(scope, str)
    ):
        raise Unauthorized("The token is not valid.", code=ErrorCode.INVALID_TOKEN)
    return ClientClaims(client_id=subject.removeprefix("client:"), scopes=tuple(scope.split()))

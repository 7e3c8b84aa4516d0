import datetime as dt
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from backend.clients.scopes import Scope


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    contact_email: EmailStr | None = Field(None, description="Whom to tell about the client.")
    scopes: list[Scope] = Field(min_length=1)
    agency: str | None = Field(
        None, max_length=64, description="Agency code: the client then sees that agency only."
    )
    rate_limit_per_minute: int = Field(600, ge=1, le=100_000)


class ClientUpdate(BaseModel):
    """Only what is sent changes. Scopes taken away stop working at once, in tokens already
    issued too."""

    name: str | None = Field(None, min_length=1, max_length=120)
    contact_email: EmailStr | None = None
    scopes: list[Scope] | None = Field(None, min_length=1)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=100_000)


class ClientRead(BaseModel):
    client_id: str
    name: str
    contact_email: str | None
    scopes: list[str]
    agency: str | None
    rate_limit_per_minute: int
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None


class ClientCredentials(ClientRead):
    """Returned once, at creation or rotation: the secret is not stored and cannot be shown
    again. For Open311 the secret is also the `api_key`."""

    client_secret: str


class ClientAuditEntry(BaseModel):
    method: str
    path: str
    at: dt.datetime


class ClientTokenResponse(BaseModel):
    """The client-credentials grant's answer (RFC 6749 §4.4.3): no refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    scope: str = Field(description="The granted scopes, space-separated.")

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    role: str
    agency_code: str | None


class TokenRequest(BaseModel):
    """An RFC 6749 token request: the password grant for people (the default, so the docs'
    Authorize button and the app work as before) or client credentials for integrators."""

    grant_type: str | None = Field(
        None, max_length=64, description="`password` (the default) or `client_credentials`."
    )
    username: str | None = Field(None, description="Password grant: email or mobile number.")
    password: str | None = Field(None, json_schema_extra={"format": "password"})
    scope: str = Field("", max_length=1000, description="Space-separated scopes.")
    client_id: str | None = Field(None, max_length=200)
    client_secret: str | None = Field(
        None, max_length=200, json_schema_extra={"format": "password"}
    )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=4096)

    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "eyJhbGciOi…"}]})

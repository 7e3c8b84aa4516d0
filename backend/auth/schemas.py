from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    role: str
    agency_code: str | None


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=4096)

    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "eyJhbGciOi…"}]})

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from backend.accounts.models import NikClaimStatus
from shared.limits import FULL_NAME_MAX_LENGTH, FULL_NAME_MIN_LENGTH
from shared.roles import Role
from shared.validators import normalize_phone, validate_nik

Language = Literal["id", "en"]
FullName = Field(min_length=FULL_NAME_MIN_LENGTH, max_length=FULL_NAME_MAX_LENGTH)


class _ContactFields(BaseModel):
    """Email and phone, normalised on the way in (email lower-case, phone +62…)."""

    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @field_validator("phone")
    @classmethod
    def _normalise_phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None


class _NikField(BaseModel):
    nik: str | None = Field(default=None, max_length=32, description="16-digit NIK (optional).")

    @field_validator("nik")
    @classmethod
    def _check_nik(cls, value: str | None) -> str | None:
        if not value:
            return None
        cleaned = value.replace(" ", "")
        validate_nik(cleaned)
        return cleaned


class ResidentRegistration(_ContactFields, _NikField):
    full_name: str = FullName
    password: str = Field(max_length=256)
    language: Language = "id"

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Siti Rahmawati",
                    "email": "siti@example.id",
                    "phone": "0812-3456-7890",
                    "password": "kopi-susu-di-serpong",
                    "nik": "3674016501900003",
                    "language": "id",
                }
            ]
        },
    )


# Changing these lets whoever holds a session take the account over (password reset by e-mail
# or SMS goes to them), so a change needs the current password too.
SENSITIVE_PROFILE_FIELDS = ("email", "phone", "nik")


class ProfileUpdate(_ContactFields, _NikField):
    full_name: str | None = Field(
        default=None, min_length=FULL_NAME_MIN_LENGTH, max_length=FULL_NAME_MAX_LENGTH
    )
    language: Language | None = None
    current_password: str | None = Field(
        default=None,
        max_length=256,
        description="Required to change `email`, `phone` or `nik`.",
    )

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"full_name": "Siti R.", "language": "en"},
                {"email": "siti.r@example.id", "current_password": "kopi-susu-di-serpong"},
            ]
        },
    )


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "kopi-susu-di-serpong", "new_password": "teh-tarik-bintaro"}
            ]
        }
    )


class StaffCreate(_ContactFields):
    full_name: str = FullName
    password: str = Field(max_length=256)
    role: Literal[Role.OFFICER, Role.SUPERVISOR, Role.ADMIN]
    agency_code: str | None = Field(
        default=None, description="Required for officers and supervisors; empty for admins."
    )
    language: Language = "id"

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Agus Setiawan",
                    "email": "agus@dpu.example.go.id",
                    "password": "jalan-mulus-2026",
                    "role": "officer",
                    "agency_code": "DPU",
                }
            ]
        },
    )


class UserRead(BaseModel):
    id: int
    full_name: str
    email: str | None
    phone: str | None
    nik: str | None = Field(
        description="The NIK this account claims (see `nik_verified`); docs/accounts.md"
    )
    nik_verified: bool = Field(
        description="True once an admin confirmed the NIK in a review; otherwise it is only "
        "what the resident typed."
    )
    role: Role
    agency_code: str | None
    language: str
    is_active: bool
    created_at: datetime


class Colleague(BaseModel):
    """A fellow staff member of the caller's agency, e.g. to assign work to."""

    id: int
    full_name: str
    role: Role


class ColleagueList(BaseModel):
    items: list[Colleague]


class ClaimParty(BaseModel):
    id: int
    full_name: str
    email: str | None
    phone: str | None


class NikClaimRead(BaseModel):
    """A claim to a NIK another account holds, as the admins reviewing it see it."""

    id: int
    nik: str
    status: NikClaimStatus
    claimant: ClaimParty
    holder: ClaimParty | None = Field(
        description="The account holding the NIK now (None if it let go of it since)."
    )
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None


class NikClaimDecision(BaseModel):
    outcome: Literal["grant", "refuse"] = Field(
        description="`grant`: the NIK moves to the claimant; `refuse`: the holder keeps it."
    )
    note: str | None = Field(default=None, max_length=500)

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"outcome": "grant", "note": "KTP checked at the kelurahan office."}]
        },
    )

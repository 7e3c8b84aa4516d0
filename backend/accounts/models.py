from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from shared.roles import Role


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=120)
    # Stored normalised (lower-case email, E.164 phone) so lookups are exact matches.
    email: str | None = Field(default=None, max_length=254, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=16, unique=True, index=True)
    nik: str | None = Field(default=None, max_length=16, unique=True)
    password_hash: str = Field(max_length=255)
    # A plain string column (not a database enum) so adding a role needs no type migration.
    role: Role = Field(default=Role.RESIDENT, sa_type=String(16), index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    language: str = Field(default="id", max_length=2)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

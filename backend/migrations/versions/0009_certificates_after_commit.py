"""Certificates produced after the permit commits: who holds the claim to make one, and an
index of the issued permits still waiting for theirs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "permit_number IS NOT NULL AND certificate_key IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("permit_application") as batch:
        batch.add_column(
            sa.Column(
                "certificate_claimed_until", backend.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_index(
        "ix_permit_application_certificate_pending",
        "permit_application",
        ["id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_permit_application_certificate_pending", table_name="permit_application")
    with op.batch_alter_table("permit_application") as batch:
        batch.drop_column("certificate_claimed_until")

"""Rate-limit counters shared by all workers, and NIK claims waiting for an admin's review.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import backend.db

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nik_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "nik_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nik", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["claimant_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["holder_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nik", "claimant_id"),
    )
    with op.batch_alter_table("nik_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nik_claim_claimant_id"), ["claimant_id"])
        batch_op.create_index(batch_op.f("ix_nik_claim_nik"), ["nik"])
        batch_op.create_index(batch_op.f("ix_nik_claim_status"), ["status"])


def downgrade() -> None:
    op.drop_table("nik_claim")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("nik_verified")
    op.drop_table("rate_limit_counter")

"""The Life Room's tallies, kept on write, replace the complaint indexes the dashboard read.

A database that already holds complaints gets its tallies with `warga stats rebuild`; complaints
resolved before this revision have no recorded working days, so they count everywhere but in
the times to resolve.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_tally_density",
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("cell_row", sa.Integer(), nullable=False),
        sa.Column("cell_column", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("filed_on", "cell_row", "cell_column", "agency_id"),
    )
    op.create_table(
        "complaint_tally_filed",
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("resolved_on_time", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("filed_on", "agency_id", "category_id", "status"),
    )
    with op.batch_alter_table("complaint_tally_filed", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_tally_filed_agency", ["agency_id", "filed_on"], unique=False
        )

    op.create_table(
        "complaint_tally_resolution",
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("filed_on", "agency_id", "category_id", "working_days"),
    )
    with op.batch_alter_table("complaint_tally_resolution", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_tally_resolution_agency", ["agency_id", "filed_on"], unique=False
        )

    op.create_table(
        "complaint_tally_resolved",
        sa.Column("resolved_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("resolved_on", "agency_id", "category_id"),
    )
    with op.batch_alter_table("complaint_tally_resolved", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_tally_resolved_agency", ["agency_id", "resolved_on"], unique=False
        )

    op.create_table(
        "complaint_tally_running",
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("due_date", "agency_id", "category_id"),
    )
    with op.batch_alter_table("complaint_tally_running", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_tally_running_agency", ["agency_id", "due_date"], unique=False
        )

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution_working_days", sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_complaint_stats_filed"))
        batch_op.drop_index(batch_op.f("ix_complaint_stats_overdue"))
        batch_op.drop_index(batch_op.f("ix_complaint_stats_resolved"))


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_stats_resolved"), ["resolved_at", "agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_stats_overdue"),
            ["agency_id", "category_id", "status", "due_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_stats_filed"),
            [
                "agency_id",
                "category_id",
                "status",
                "created_at",
                "resolved_at",
                "due_date",
                "rating",
            ],
            unique=False,
        )
        batch_op.drop_column("resolution_working_days")

    with op.batch_alter_table("complaint_tally_running", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_tally_running_agency")

    op.drop_table("complaint_tally_running")
    with op.batch_alter_table("complaint_tally_resolved", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_tally_resolved_agency")

    op.drop_table("complaint_tally_resolved")
    with op.batch_alter_table("complaint_tally_resolution", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_tally_resolution_agency")

    op.drop_table("complaint_tally_resolution")
    with op.batch_alter_table("complaint_tally_filed", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_tally_filed_agency")

    op.drop_table("complaint_tally_filed")
    op.drop_table("complaint_tally_density")

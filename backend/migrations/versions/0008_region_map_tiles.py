"""The region pack's map tiles (URL template, attribution, zoom) for the app's maps.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.add_column(sa.Column("map_tiles", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.drop_column("map_tiles")

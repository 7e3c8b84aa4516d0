"""The region pack's named places (kecamatan, kelurahan) with their centres, for the app's
address line under a map pin.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.add_column(sa.Column("places", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.drop_column("places")

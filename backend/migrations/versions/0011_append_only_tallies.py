"""The Life Room's tallies become append-only: a row per write (pending until folded) instead of
one row per key updated in place, so that filings no longer wait on each other's row locks.

Each tally table is rebuilt with an `id` key and a `pending` flag; its rows are copied over as
settled (already summed) rows. Downgrading sums them back into one row per key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATE, NUMBER = sa.Date, sa.Integer
STATUS = sqlmodel.sql.sqltypes.AutoString(length=20)

# Each tally: its key columns, its count columns, and the column its per-agency index pairs with
# `agency_id` (None: no such index).
TALLIES: dict[str, tuple[dict[str, sa.types.TypeEngine[Any]], list[str], str | None]] = {
    "complaint_tally_filed": (
        {"filed_on": DATE(), "agency_id": NUMBER(), "category_id": NUMBER(), "status": STATUS},
        ["complaints", "resolved", "resolved_on_time", "rating_sum", "ratings"],
        "filed_on",
    ),
    "complaint_tally_resolution": (
        {
            "filed_on": DATE(),
            "agency_id": NUMBER(),
            "category_id": NUMBER(),
            "working_days": NUMBER(),
        },
        ["complaints"],
        "filed_on",
    ),
    "complaint_tally_resolved": (
        {"resolved_on": DATE(), "agency_id": NUMBER(), "category_id": NUMBER()},
        ["complaints"],
        "resolved_on",
    ),
    "complaint_tally_running": (
        {"due_date": DATE(), "agency_id": NUMBER(), "category_id": NUMBER()},
        ["complaints"],
        "due_date",
    ),
    "complaint_tally_density": (
        {"filed_on": DATE(), "cell_row": NUMBER(), "cell_column": NUMBER(), "agency_id": NUMBER()},
        ["complaints"],
        None,
    ),
}


def _columns(key: dict[str, sa.types.TypeEngine[Any]], counts: list[str]) -> list[sa.Column[Any]]:
    return [
        *(sa.Column(name, type_, nullable=False) for name, type_ in key.items()),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
    ]


def _agency_index(table: str, paired: str | None) -> None:
    if paired:
        op.create_index(f"ix_{table}_agency", table, ["agency_id", paired], unique=False)


def _rows(
    table: str, key: dict[str, sa.types.TypeEngine[Any]], counts: list[str], *, summed: bool
) -> list[dict[str, Any]]:
    """The rows of `table` (or their sums per key), read before it is dropped: tallies are small,
    a row per day and key. Typed, so that SQLite's dates come back as dates."""
    keys = [sa.column(name, type_) for name, type_ in key.items()]
    values: list[sa.ColumnElement[int]] = [sa.column(name, sa.Integer()) for name in counts]
    if summed:
        values = [sa.func.sum(sa.column(name)).label(name) for name in counts]
    statement = sa.select(*keys, *values).select_from(sa.table(table))
    if summed:
        statement = statement.group_by(*keys)
    return [dict(row._mapping) for row in op.get_bind().execute(statement)]


def upgrade() -> None:
    for table, (key, counts, paired) in TALLIES.items():
        rows = _rows(table, key, counts, summed=False)
        op.drop_table(table)
        new = op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("pending", sa.Boolean(), nullable=False),
            *_columns(key, counts),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(f"ix_{table}_key", table, list(key), unique=False)
        op.create_index(
            f"ix_{table}_pending",
            table,
            ["id"],
            unique=False,
            sqlite_where=sa.text("pending"),
            postgresql_where=sa.text("pending"),
        )
        _agency_index(table, paired)
        if rows:
            op.bulk_insert(new, [{"pending": False, **row} for row in rows])


def downgrade() -> None:
    for table, (key, counts, paired) in TALLIES.items():
        rows = _rows(table, key, counts, summed=True)
        op.drop_table(table)
        old = op.create_table(table, *_columns(key, counts), sa.PrimaryKeyConstraint(*key))
        _agency_index(table, paired)
        if rows:
            op.bulk_insert(old, rows)

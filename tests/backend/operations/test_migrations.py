"""Alembic migrations build the whole schema on an empty database, on both engines."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend.db import make_engine
from backend.migrations import downgrade, upgrade
from backend.tables import metadata

# Full-text search objects that migration 0002 makes in raw SQL and no model describes: SQLite's
# FTS5 table "search_fts" (with its shadow tables "search_fts_*") and PostgreSQL's GIN expression
# index. Only these, by name, are left out of the comparison.
FULL_TEXT_OBJECTS = ("search_fts", "ix_search_entry_fts")


def _not_full_text(obj, name, type_, reflected, compare_to) -> bool:
    return not (reflected and name and name.startswith(FULL_TEXT_OBJECTS))


def test_migrations_match_the_models(engine):
    # The session fixture migrated this database from empty with `alembic upgrade head`.
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _not_full_text}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_every_table_exists_after_upgrade(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


@pytest.fixture
def empty_database_url(database_url, tmp_path) -> Iterator[str]:
    """A database of the same engine as `database_url`, empty, that a test may migrate at will."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    url = make_url(database_url)
    own = url.set(database=f"{url.database}_migrating")
    server = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}"'))
        connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    yield own.render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
    server.dispose()


FILED = "complaint_tally_filed"
FILED_ROWS = [
    ("2026-02-02", 1, 2, "submitted", 5, 0, 0, 0, 0),
    ("2026-02-02", 1, 2, "resolved", 3, 3, 2, 11, 3),
]
FILED_COLUMNS = "filed_on, agency_id, category_id, status, complaints, resolved, "
FILED_COLUMNS += "resolved_on_time, rating_sum, ratings"


def _filed(url: str, *, extra: str = "") -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {FILED_COLUMNS}{extra} FROM {FILED} ORDER BY 4"))
        found = [tuple(str(value) for value in row) for row in rows]
    engine.dispose()
    return found


def test_the_tallies_keep_their_counts_through_the_move_to_append_only(empty_database_url):
    url = empty_database_url
    upgrade(url, "0010")
    engine = make_engine(url)
    with engine.begin() as connection:
        for row in FILED_ROWS:
            values = ", ".join(f"'{value}'" for value in row)
            connection.execute(text(f"INSERT INTO {FILED} ({FILED_COLUMNS}) VALUES ({values})"))
    engine.dispose()
    expected = sorted(
        (tuple(str(value) for value in row) for row in FILED_ROWS), key=lambda r: r[3]
    )

    upgrade(url, "0011")
    settled = _filed(url, extra=", pending")
    assert [row[:-1] for row in settled] == expected
    assert {row[-1] for row in settled} <= {"False", "0"}  # copied as settled rows

    engine = make_engine(url)  # a pending row of the same key as a settled one
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO {FILED} (pending, {FILED_COLUMNS}) "
                "VALUES (true, '2026-02-02', 1, 2, 'submitted', 2, 0, 0, 0, 0)"
            )
        )
    engine.dispose()
    downgrade(url, "0010")  # sums each key back into its one row
    assert _filed(url) == [
        expected[0],
        ("2026-02-02", "1", "2", "submitted", "7", "0", "0", "0", "0"),
    ]

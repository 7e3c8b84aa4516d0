"""Alembic migrations build the whole schema on an empty database, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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

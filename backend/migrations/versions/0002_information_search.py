"""Full-text search over search_entry: SQLite FTS5, PostgreSQL GIN.

Alembic's autogenerate cannot describe these objects, so they live here rather than in 0001
(which is regenerated from the models). ``backend.information.search`` queries them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Must stay identical to backend.information.search.PG_DOCUMENT, or queries miss the index.
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple', title_terms), 'A') || "
    "setweight(to_tsvector('simple', body_terms), 'B'))"
)

# An external-content FTS5 table: it indexes search_entry's columns without copying them, and
# the triggers keep it in step with every insert, update and delete.
SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title_terms, body_terms,
        content='search_entry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_fts(rowid, title_terms, body_terms)
        VALUES (new.id, new.title_terms, new.body_terms);
    END
    """,
    """
    CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.body_terms);
    END
    """,
    """
    CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.body_terms);
        INSERT INTO search_fts(rowid, title_terms, body_terms)
        VALUES (new.id, new.title_terms, new.body_terms);
    END
    """,
    # Index whatever rows exist already.
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER search_entry_fts_update",
    "DROP TRIGGER search_entry_fts_delete",
    "DROP TRIGGER search_entry_fts_insert",
    "DROP TABLE search_fts",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_search_entry_fts ON search_entry USING gin ({PG_DOCUMENT})")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_entry_fts")
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)

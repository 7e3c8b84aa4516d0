from alembic import context
from sqlalchemy import Connection

from backend.db import make_engine
from backend.tables import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "backend.migrations.alembic_config sets it"
    engine = make_engine(url)
    with engine.begin() as new_connection:
        run_migrations(new_connection)
    engine.dispose()

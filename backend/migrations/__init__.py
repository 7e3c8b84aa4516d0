"""Alembic migrations; ``upgrade(database_url)`` brings any database to the newest schema,
``downgrade(database_url, revision)`` back to an older one."""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.db import make_engine

_HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    _migrate(command.upgrade, database_url, revision)


def downgrade(database_url: str, revision: str) -> None:
    _migrate(command.downgrade, database_url, revision)


def _migrate(move: Callable[[Config, str], None], database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            move(config, revision)
    finally:
        engine.dispose()

"""Backend fixtures: the same tests run on SQLite and, when WARGA_TEST_DATABASE_URL is set, on
PostgreSQL. Each database is migrated once per run with Alembic (so the migrations are exercised
on both engines) and emptied between tests."""

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from backend.accounts.passwords import PasswordHashing
from backend.config import Settings
from backend.database import open_engine
from backend.demo import install_demo
from backend.demo_accounts import DemoAccount
from backend.main import create_app
from backend.migrations import upgrade
from backend.tables import metadata
from shared.roles import Role


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own database,
    `<name>_<worker>`, created on first use: the tests empty tables and drop the schema, so two
    workers must never share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    own = make_url(url).set(database=f"{make_url(url).database}_{worker}")
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("WARGA_TEST_DATABASE_URL", ""))
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_collection_modifyitems(config, items):
    if POSTGRES_URL:
        return
    selected = [item for item in items if "postgres" not in item.keywords]
    deselected = [item for item in items if "postgres" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
        print(
            f"\n{len(deselected)} PostgreSQL-only tests deselected (WARGA_TEST_DATABASE_URL empty)"
        )


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'warga-test.db'}"
    else:
        url = POSTGRES_URL
        _drop_everything(url)
    upgrade(url)
    return url


def _drop_everything(url: str) -> None:
    engine = open_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _test_settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_level="WARNING",
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return _test_settings(database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = open_engine(settings.database_url)
    _empty_tables(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table swaps each table's files and
    # costs 0.3-0.8 s a test, DELETE of the few rows a test leaves about 10 ms.
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        statements += [f"SELECT setval('{name}', 1, false)" for name in _sequences(engine)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # one round trip for all of them
            connection.exec_driver_sql("; ".join(statements))
        else:
            for statement in statements:
                connection.exec_driver_sql(statement)


_sequences_by_url: dict[str, list[str]] = {}


def _sequences(engine: Engine) -> list[str]:
    """The database's sequences, asked once per run: the schema is migrated once, and every
    test's reset would otherwise pay a catalogue query for the same answer."""
    url = engine.url.render_as_string(hide_password=False)
    if url not in _sequences_by_url:
        with engine.connect() as connection:
            _sequences_by_url[url] = list(
                connection.scalars(
                    text("SELECT sequence_name FROM information_schema.sequences ORDER BY 1")
                )
            )
    return _sequences_by_url[url]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def hashing(settings: Settings) -> PasswordHashing:
    return PasswordHashing(settings)


class DemoAccounts:
    """The demo accounts by role; residents are Siti (first) and Budi (second)."""

    def __init__(self, accounts: list[DemoAccount]) -> None:
        self.all = accounts
        residents = [a for a in accounts if a.role == Role.RESIDENT]
        self.resident, self.other_resident = residents[0], residents[1]
        self.admin = next(a for a in accounts if a.role == Role.ADMIN)
        self.agency_codes = sorted({a.agency for a in accounts if a.agency})

    def officer(self, agency: str) -> DemoAccount:
        return self._staff(Role.OFFICER, agency)

    def supervisor(self, agency: str) -> DemoAccount:
        return self._staff(Role.SUPERVISOR, agency)

    def _staff(self, role: Role, agency: str) -> DemoAccount:
        return next(a for a in self.all if a.role == role and a.agency == agency)


@dataclass(frozen=True)
class DemoSnapshot:
    """The rows `install_demo` writes, read back once per engine, so each test restores them with
    one bulk insert per table instead of loading the region pack again (0.1-0.2 s a test)."""

    accounts: list[DemoAccount]
    rows: dict[str, list[dict]]
    sequences: dict[str, int]

    def restore(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for table in metadata.sorted_tables:
                if rows := self.rows[table.name]:
                    connection.execute(table.insert(), rows)
            for name, value in self.sequences.items():
                connection.execute(
                    text("SELECT setval(:name, :value)"), {"name": name, "value": value}
                )


@pytest.fixture(scope="session")
def demo_snapshot(database_url: str) -> DemoSnapshot:
    engine = open_engine(database_url)
    _empty_tables(engine)
    with Session(engine) as session:
        hashing = PasswordHashing(_test_settings(database_url))
        # Without the demo's announcements and FAQs, so content tests start from an empty catalogue.
        accounts = install_demo(session, hashing=hashing, content=False)
        session.commit()
    with engine.connect() as connection:
        rows = {
            table.name: [dict(row._mapping) for row in connection.execute(table.select())]
            for table in metadata.sorted_tables
        }
        sequences = {}
        if engine.dialect.name == "postgresql":
            for name in _sequences(engine):
                value, called = connection.execute(
                    text(f'SELECT last_value, is_called FROM "{name}"')
                ).one()
                if called:
                    sequences[name] = value
    _empty_tables(engine)  # the test's own `engine` fixture may already have emptied it
    engine.dispose()
    return DemoSnapshot(accounts=accounts, rows=rows, sequences=sequences)


@pytest.fixture
def demo(engine: Engine, demo_snapshot: DemoSnapshot) -> DemoAccounts:
    """The demo region pack and demo accounts, as `make run` installs them."""
    demo_snapshot.restore(engine)
    return DemoAccounts(demo_snapshot.accounts)


@pytest.fixture
async def app(settings: Settings, engine: Engine):
    app = create_app(settings)
    yield app
    # httpx's ASGI transport runs no lifespan, so the app's pools would otherwise keep their
    # connections until garbage collection: on PostgreSQL, a long run then hits max_connections.
    await close_pools(app)


async def close_pools(app) -> None:
    """Close the app's database connections. The read engine's are psycopg async connections,
    tied to the event loop of the test that opened them: closed within it."""
    app.state.engine.dispose()
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client

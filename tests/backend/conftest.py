"""Backend fixtures: the same tests run on SQLite and, when WARGA_TEST_DATABASE_URL is set, on
PostgreSQL. Each database is migrated once per run with Alembic (so the migrations are exercised
on both engines) and emptied between tests."""

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
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

POSTGRES_URL = os.environ.get("WARGA_TEST_DATABASE_URL", "")
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


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_level="WARNING",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = open_engine(settings.database_url)
    _empty_tables(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = [table.name for table in metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


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


@pytest.fixture
def demo(session: Session, hashing: PasswordHashing) -> DemoAccounts:
    """The demo region pack and demo accounts, as `make run` installs them."""
    # Without the demo's announcements and FAQs, so content tests start from an empty catalogue.
    accounts = install_demo(session, hashing=hashing, content=False)
    session.commit()
    return DemoAccounts(accounts)


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

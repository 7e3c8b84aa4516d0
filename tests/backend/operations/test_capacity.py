"""Back-pressure: a busy process answers 503 with Retry-After at once, never 500, never hangs;
connection budgets split between workers; PostgreSQL session limits and the PgBouncer setting."""

import asyncio
import time

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend import cli
from backend.accounts.models import User
from backend.config import Settings, get_settings
from backend.db import BudgetTooSmall, EngineOptions, make_engine, share_connection_budget
from backend.main import create_app
from tests.backend.complaints.complaint_helpers import complaint_body
from tests.backend.helpers import login

ME = "/api/v1/me"


def on_postgresql(test):
    test = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)(test)
    return pytest.mark.postgres(test)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One connection and a short wait, so that the test can take the only one away.
    return settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 0.3,
            "request_queue_seconds": 0.2,
            "retry_after_seconds": 3,
        }
    )


def _assert_busy(response, code: str = "server_busy") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "3"
    assert response.json()["code"] == code


async def test_no_free_connection_is_a_fast_503_with_retry_after(app, client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    held = app.state.engine.connect()  # the pool's only connection, busy elsewhere
    held.execute(text("SELECT 1"))
    try:
        started = time.monotonic()
        response = await client.get(ME, headers=headers)
        assert time.monotonic() - started < 2
        _assert_busy(response)
    finally:
        held.close()
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_requests_beyond_the_slots_are_turned_away_before_waiting_long(
    app, client, demo, settings
):
    """With every slot taken by a request stuck on the pool, the next request waits only its
    queue time, not the pool's."""
    headers = await login(client, demo.resident.username, demo.resident.password)
    slow = create_app(settings.model_copy(update={"db_pool_timeout_seconds": 30}))
    slow_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=slow), base_url="http://t")
    held = slow.state.engine.connect()
    held.execute(text("SELECT 1"))
    try:
        stuck = asyncio.create_task(slow_client.get(ME, headers=headers))  # takes the one slot
        await asyncio.sleep(0.1)
        started = time.monotonic()
        turned_away = await slow_client.get(ME, headers=headers)
        waited = time.monotonic() - started
        _assert_busy(turned_away)
        assert waited < 1.5  # the queue's 0.2 s, not the pool's 30 s
        assert (await slow_client.get("/healthz")).status_code == 200  # alive, though busy
        held.close()
        assert (await stuck).status_code == 200  # the first one got the connection in the end
    finally:
        held.close()
        await slow_client.aclose()
        slow.state.engine.dispose()


@on_postgresql
async def test_a_database_that_refuses_connections_is_a_503_not_a_500(settings, demo):
    url = make_url(settings.database_url).set(database="warga_no_such_database")
    unreachable = create_app(
        settings.model_copy(update={"database_url": url.render_as_string(hide_password=False)})
    )
    transport = httpx.ASGITransport(app=unreachable)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/api/v1/public/complaints")
        login_response = await client.post(
            "/api/v1/auth/token", data={"username": "x@example.id", "password": "y"}
        )
    unreachable.state.engine.dispose()
    unreachable.state.changes.close()  # its listener would retry for the rest of the run
    for answer in (response, login_response):
        _assert_busy(answer, code="service_unavailable")


def test_workers_share_one_connection_budget():
    for budget in range(4, 200, 7):
        for workers in range(1, budget // 2 + 1):
            size, overflow = share_connection_budget(
                budget, workers=workers, pool_size=10, max_overflow=10
            )
            assert size >= 1 and overflow >= 0
            # Each worker's pool plus its change listener, times the workers, fits the budget.
            assert workers * (size + overflow + 1) <= budget
    # A roomy budget leaves the configured pool as it is.
    assert share_connection_budget(100, workers=2, pool_size=10, max_overflow=5) == (10, 5)
    with pytest.raises(BudgetTooSmall):
        share_connection_budget(5, workers=3, pool_size=10, max_overflow=10)


def test_serve_refuses_several_workers_on_sqlite(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("WARGA_DATABASE_URL", f"sqlite:///{tmp_path / 'warga.db'}")
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--workers", "2"]) == 2
    finally:
        get_settings.cache_clear()
    assert "PostgreSQL" in capsys.readouterr().err


@on_postgresql
def test_postgresql_sessions_get_statement_and_idle_transaction_timeouts(settings):
    options = EngineOptions(statement_timeout_ms=250, idle_in_transaction_timeout_ms=4000)
    engine = make_engine(settings.database_url, options=options)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "250ms"
            idle = connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()
            assert idle == "4s"
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()


@on_postgresql
@pytest.mark.parametrize("prepared", [True, False])
def test_server_side_prepared_statements_can_be_turned_off_for_pgbouncer(settings, prepared):
    engine = make_engine(settings.database_url, options=EngineOptions(prepared_statements=prepared))
    try:
        with engine.connect() as connection:
            for _ in range(8):  # past psycopg's threshold of 5 runs
                connection.execute(select(User.id).where(User.id == 1))
            count = connection.execute(text("SELECT count(*) FROM pg_prepared_statements"))
            assert (count.scalar() > 0) is prepared
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_answers_a_burst_of_filings_without_a_500(settings, demo):
    """SQLite's single writer: a burst queues (or is turned away with 503), never a 500."""
    # One resident files them all: the per-account write limit is not what is tested here.
    roomy = {"db_pool_size": 5, "db_max_overflow": 5, "rate_limit_filing": "1000000/hour"}
    app = create_app(settings.model_copy(update=roomy))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/complaints", json=complaint_body(), headers=headers)
                for _ in range(60)
            )
        )
    app.state.engine.dispose()
    statuses = {answer.status_code for answer in answers}
    assert statuses <= {201, 503}, statuses
    assert 201 in statuses
    for answer in answers:
        if answer.status_code == 503:
            assert answer.headers["retry-after"]

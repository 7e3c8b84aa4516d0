"""Hot reads on PostgreSQL's async pool (``backend.reads``): a dropped connection costs no error,
and the two pools together keep to the process's connections."""

import pytest
from sqlalchemy import text

from backend.db import EngineOptions
from tests.backend.helpers import login

ME = "/api/v1/me"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_read_on_a_connection_the_server_dropped_is_answered(app, client, demo, engine):
    headers = await login(client, demo.resident.username, demo.resident.password)
    assert (await client.get(ME, headers=headers)).status_code == 200  # the pool holds one now
    with engine.begin() as connection:  # as a restart or an idle timeout would
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    answer = await client.get(ME, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["full_name"] == demo.resident.full_name


@pytest.mark.parametrize(("size", "overflow"), [(10, 10), (3, 0), (1, 1), (2, 5), (1, 0)])
def test_the_read_pool_shares_the_process_connections(size: int, overflow: int):
    pools = EngineOptions(pool_size=size, max_overflow=overflow).shared_with_reads()
    if size + overflow < 2:
        assert pools is None  # reads then use the write pool
        return
    assert pools is not None
    assert sum(p.pool_size + p.max_overflow for p in pools) == size + overflow
    assert all(p.pool_size >= 1 for p in pools)  # 0 would be a pool without a limit

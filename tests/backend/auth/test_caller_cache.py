"""Known tokens are answered from memory; logout, password change, deactivation and profile
changes still take effect at once here and within a second on another host; while the change
channel is down the cache is not trusted."""

import time
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import text

from backend import changes
from backend.auth import caller_cache
from tests.backend.helpers import login, statements_on
from tests.live_server import another_host, live_server

ME = "/api/v1/me"


async def _caller_statements(client, app, headers) -> list[str]:
    """The statements of one GET /me that read the caller's login session."""
    with statements_on(app.state.engine) as seen:
        response = await client.get(ME, headers=headers)
    assert response.status_code == 200, response.text
    return [s for s in seen if "auth_session" in s]


async def test_a_known_token_is_answered_without_reading_its_session(client, app, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    assert await _caller_statements(client, app, headers)  # first use: verified and read
    assert await _caller_statements(client, app, headers) == []
    assert (await client.get(ME, headers=headers)).json()["email"] == demo.resident.username


async def test_logout_password_change_and_deactivation_take_effect_at_once(client, demo):
    resident = await login(client, demo.resident.username, demo.resident.password)
    assert (await client.get(ME, headers=resident)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=resident)).status_code == 204
    assert (await client.get(ME, headers=resident)).json()["code"] == "token_revoked"

    first = await login(client, demo.resident.username, demo.resident.password)
    second = await login(client, demo.resident.username, demo.resident.password)
    assert (await client.get(ME, headers=first)).status_code == 200
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": demo.resident.password, "new_password": "Kata-sandi-baru-99"},
        headers=second,
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get(ME, headers=first)).json()["code"] == "token_revoked"
    assert (await client.get(ME, headers=second)).status_code == 200

    officer = await login(client, demo.officer("dbmsda").username, demo.officer("dbmsda").password)
    admin = await login(client, demo.admin.username, demo.admin.password)
    me = (await client.get(ME, headers=officer)).json()
    deactivated = await client.post(f"/api/v1/admin/users/{me['id']}/deactivate", headers=admin)
    assert deactivated.status_code == 200
    assert (await client.get(ME, headers=officer)).status_code == 401


async def test_a_profile_change_is_seen_by_the_next_request(client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    assert (await client.get(ME, headers=headers)).status_code == 200
    edited = await client.patch(ME, json={"full_name": "Siti Baru"}, headers=headers)
    assert edited.status_code == 200
    assert (await client.get(ME, headers=headers)).json()["full_name"] == "Siti Baru"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_logout_on_one_host_ends_the_token_on_another_within_a_second(
    engine, database_url, tmp_path: Path
):
    with (
        live_server(tmp_path / "a", database_url=database_url, demo_content=False) as host_a,
        another_host(host_a, tmp_path / "b") as host_b,
    ):
        resident = host_a.account("resident")
        async with (
            httpx.AsyncClient(base_url=host_a.base_url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=host_b.base_url, timeout=10) as on_b,
        ):
            headers = await login(on_a, resident.username, resident.password)
            for _ in range(3):  # host A now knows the token
                assert (await on_a.get(ME, headers=headers)).status_code == 200
            assert (await on_b.post("/api/v1/auth/logout", headers=headers)).status_code == 204
            started = time.monotonic()
            while (await on_a.get(ME, headers=headers)).status_code == 200:
                assert time.monotonic() - started < 1, "host A still accepts the ended session"
                await anyio.sleep(0.01)
            assert (await on_a.get(ME, headers=headers)).json()["code"] == "token_revoked"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_while_the_channel_is_down_every_request_reads_the_database(
    client, app, demo, engine, monkeypatch
):
    monkeypatch.setattr(changes, "RECONNECT_SECONDS", (3.0,))  # stay down while we look
    headers = await login(client, demo.resident.username, demo.resident.password)
    await _caller_statements(client, app, headers)
    cache = caller_cache.for_engine(app.state.engine)
    assert cache.usable and len(cache) == 1
    channel = cache.channel
    with engine.begin() as connection:  # what a database restart or network cut does
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": channel.backend_pid})
    with anyio.fail_after(5):
        while channel.healthy:
            await anyio.sleep(0.01)
    assert len(cache) == 0  # emptied: messages may be lost from now on
    for _ in range(2):
        assert await _caller_statements(client, app, headers)  # bypassed, not trusted
    assert len(cache) == 0
    with anyio.fail_after(10):
        while not channel.healthy:
            await anyio.sleep(0.05)
    await _caller_statements(client, app, headers)
    assert await _caller_statements(client, app, headers) == []  # trusted again

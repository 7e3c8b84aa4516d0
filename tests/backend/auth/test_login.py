"""Logging in: wrong passwords, unknown accounts, throttling, deactivation."""

from tests.backend.helpers import login


async def _try(client, username: str, password: str):
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )


async def test_wrong_password_and_unknown_account_look_the_same(client, demo):
    wrong = await _try(client, demo.resident.username, "not-the-password")
    unknown = await _try(client, "nobody@example.com", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_unknown_account_costs_one_argon2_verification(client, demo, app):
    # Timing equality comes from doing the same work: one Argon2 verify on either path.
    hashing = app.state.password_hashing
    calls = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, hash_, password):
            calls.append(hash_)
            return self.real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(self.real, name)

    hashing._hasher = CountingHasher(hashing._hasher)
    await _try(client, "nobody@example.com", "whatever-password")
    await _try(client, demo.resident.username, "whatever-password")
    assert len(calls) == 2
    assert all(h.startswith("$argon2id$") for h in calls)


async def test_repeated_failures_lock_the_account_with_retry_after(client, demo, settings):
    for _ in range(settings.login_max_failures):
        assert (await _try(client, demo.resident.username, "wrong-guess-123")).status_code == 401
    locked = await _try(client, demo.resident.username, demo.resident.password)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert locked.json()["code"] == "too_many_attempts"
    # Another account is not locked by these failures.
    other = await _try(client, demo.other_resident.username, demo.other_resident.password)
    assert other.status_code == 200


async def test_repeated_failures_from_one_address_lock_that_address(client, demo, settings):
    for n in range(settings.login_address_max_failures):
        await _try(client, f"guess{n}@example.com", "wrong-guess-123")
    response = await _try(client, demo.resident.username, demo.resident.password)
    assert response.status_code == 429


async def test_a_success_resets_the_account_counter(client, demo, settings):
    for _ in range(settings.login_max_failures - 1):
        await _try(client, demo.resident.username, "wrong-guess-123")
    assert (await _try(client, demo.resident.username, demo.resident.password)).is_success
    for _ in range(settings.login_max_failures - 1):
        await _try(client, demo.resident.username, "wrong-guess-123")
    assert (await _try(client, demo.resident.username, demo.resident.password)).is_success


async def test_every_demo_account_logs_in(client, demo):
    for account in demo.all:
        response = await _try(client, account.username, account.password)
        assert response.status_code == 200, account.username
        assert response.json()["role"] == account.role
        assert response.json()["agency_code"] == account.agency


async def test_deactivated_user_is_cut_off_at_once(client, demo):
    admin = await login(client, demo.admin.username, demo.admin.password)
    resident = await login(client, demo.resident.username, demo.resident.password)
    me = (await client.get("/api/v1/me", headers=resident)).json()
    response = await client.post(f"/api/v1/admin/users/{me['id']}/deactivate", headers=admin)
    assert response.status_code == 200 and response.json()["is_active"] is False
    refused = await client.get("/api/v1/me", headers=resident)
    assert refused.status_code == 401
    again = await _try(client, demo.resident.username, demo.resident.password)
    assert again.status_code == 401 and again.json()["code"] == "account_inactive"

"""Whose forwarded address is believed (WARGA_TRUSTED_PROXIES), and login throttling that locks
an account or one source, never every resident behind a shared address."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Request
from pydantic import ValidationError

from backend.config import Settings
from backend.main import create_app

PROXY = ("10.20.0.5", 40000)  # the load balancer, inside the trusted range
STRANGER = ("198.51.100.9", 40000)  # someone on the internet, connecting directly
CARRIER_NAT = "203.0.113.7"  # thousands of phones behind one address


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "trusted_proxies": "10.20.0.0/16, 192.0.2.1",
            "login_max_failures": 3,
            "login_address_max_failures": 12,
        }
    )


@pytest.fixture
async def through(app) -> AsyncIterator:
    """`through(peer)`: a client whose TCP peer address is `peer`."""
    clients = []

    def make(peer: tuple[str, int]) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=peer)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def _try(client, username: str, password: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
    )


async def _fail(client, username: str, times: int, forwarded_for: str | None = None) -> None:
    for _ in range(times):
        response = await _try(client, username, "salah-tebak-123", forwarded_for)
        assert response.status_code in (401, 429)


async def test_residents_behind_one_address_do_not_lock_each_other_out(through, demo, settings):
    proxy = through(PROXY)
    # Four residents behind the same carrier NAT each mistype twice (8 failures in all, more
    # than one account's limit of 3): nobody else is affected.
    for n in range(4):
        await _fail(proxy, f"warga{n}@example.com", 2, CARRIER_NAT)
    response = await _try(proxy, demo.resident.username, demo.resident.password, CARRIER_NAT)
    assert response.status_code == 200, response.text


async def test_an_account_still_locks_after_its_own_failures(through, demo, settings):
    proxy = through(PROXY)
    await _fail(proxy, demo.resident.username, settings.login_max_failures, CARRIER_NAT)
    # Locked from everywhere, not only from that address.
    locked = await _try(proxy, demo.resident.username, demo.resident.password, "192.0.2.200")
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


async def test_one_address_trying_many_accounts_locks_at_its_own_ceiling(through, demo, settings):
    proxy = through(PROXY)
    for n in range(settings.login_address_max_failures):
        await _fail(proxy, f"tebakan{n}@example.com", 1, CARRIER_NAT)
    sprayer = await _try(proxy, demo.resident.username, demo.resident.password, CARRIER_NAT)
    assert sprayer.status_code == 429
    # Another address behind the same proxy is another client.
    other = await _try(proxy, demo.resident.username, demo.resident.password, "203.0.113.8")
    assert other.status_code == 200


async def test_an_untrusted_peer_cannot_pick_its_address_by_header(through, demo, settings):
    stranger = through(STRANGER)
    # A new forged X-Forwarded-For on every attempt: all of them still count against the peer.
    for n in range(settings.login_address_max_failures):
        await _fail(stranger, f"tebakan{n}@example.com", 1, f"192.0.2.{n + 10}")
    response = await _try(stranger, demo.resident.username, demo.resident.password, "192.0.2.250")
    assert response.status_code == 429
    # The proxy's clients are untouched by the stranger's lock.
    proxy = through(PROXY)
    response = await _try(proxy, demo.resident.username, demo.resident.password, CARRIER_NAT)
    assert response.status_code == 200


def test_trusted_proxies_must_be_addresses_or_ranges():
    with pytest.raises(ValidationError, match="WARGA_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example.com")
    assert Settings(trusted_proxies="*").trusted_proxies == "*"


async def test_the_app_sees_the_forwarded_scheme_only_from_a_trusted_proxy(settings, demo):
    app = create_app(settings)
    seen = []

    @app.get("/test-scheme")
    def scheme(request: Request) -> dict:
        seen.append((request.client.host, request.url.scheme))
        return {}

    for peer in (PROXY, STRANGER):
        transport = httpx.ASGITransport(app=app, client=peer)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            headers = {"X-Forwarded-For": CARRIER_NAT, "X-Forwarded-Proto": "https"}
            await client.get("/test-scheme", headers=headers)
    app.state.engine.dispose()
    assert seen == [(CARRIER_NAT, "https"), (STRANGER[0], "http")]

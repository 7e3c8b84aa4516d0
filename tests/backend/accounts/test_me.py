"""`GET /me` from memory for a known caller (backend/accounts/me.py): the same bytes and headers
as the route's own answer, no SQL, the same refusal of unstorable input, and every change to what
it shows seen at once here and within a second on another host."""

import time
from pathlib import Path

import anyio
import httpx
import pytest
from sqlmodel import select

from backend.accounts import service
from backend.accounts.models import NikClaim, User
from backend.edge import refuse_unstorable_input
from backend.region.models import Agency
from shared.roles import Role
from tests.backend.helpers import engines_of, login, statements_on, without_request_id
from tests.live_server import another_host, live_server

ME = "/api/v1/me"
NIK = "3674015506920001"
PASSWORD = "nasi-uduk-pagi-hari"


async def register(client: httpx.AsyncClient, name: str, nik: str | None = None) -> int:
    email = f"{name.lower()}@example.com"
    body = {"full_name": f"{name} Warga", "email": email, "password": PASSWORD, "nik": nik}
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def log_in(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    return await login(client, f"{name.lower()}@example.com", PASSWORD)


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict:
    """`/me` asked twice, so the body is kept for the next change to be checked against."""
    first = await client.get(ME, headers=headers)
    again = await client.get(ME, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content
    return again.json()


async def test_a_known_caller_gets_the_same_answer_without_sql(client, app, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    with statements_on(*engines_of(app)) as normal_path:
        normally = await client.get(ME, headers=headers)
    with statements_on(*engines_of(app)) as from_memory:
        kept = await client.get(ME, headers=headers)
    assert normal_path  # verified, then read
    assert from_memory == []
    assert kept.status_code == normally.status_code == 200
    assert kept.content == normally.content
    assert without_request_id(kept) == without_request_id(normally)
    assert kept.headers["x-request-id"]


async def test_unstorable_input_is_refused_alike_from_memory(client, app, demo):
    # The guard the fast path runs is the app's only app-wide dependency: a new one would need
    # running there too.
    assert [d.dependency for d in app.router.dependencies] == [refuse_unstorable_input]
    known = await login(client, demo.resident.username, demo.resident.password)
    unknown = await login(client, demo.resident.username, demo.resident.password)
    await me(client, known)
    from_memory = await client.get(ME, params={"q": "a\x00b"}, headers=known)
    normally = await client.get(ME, params={"q": "a\x00b"}, headers=unknown)
    assert from_memory.status_code == normally.status_code == 422
    assert from_memory.json()["code"] == "invalid_characters"
    assert from_memory.content == normally.content
    assert without_request_id(from_memory) == without_request_id(normally)


async def test_no_token_or_an_unknown_one_is_still_a_401_problem(client, demo):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_each_step_of_a_nik_claim_shows_on_me_at_once(client, demo):
    await register(client, "Pemilik", NIK)
    await register(client, "Penuntut")
    holder, claimant = await log_in(client, "Pemilik"), await log_in(client, "Penuntut")
    admin = await login(client, demo.admin.username, demo.admin.password)
    claim = {"nik": NIK, "current_password": PASSWORD}

    async def decide(outcome: str) -> None:
        [pending] = (await client.get("/api/v1/admin/nik-claims", headers=admin)).json()["items"]
        url = f"/api/v1/admin/nik-claims/{pending['id']}/decision"
        decided = await client.post(url, json={"outcome": outcome}, headers=admin)
        assert decided.status_code == 200, decided.text

    def shown(body: dict) -> tuple[str | None, bool]:
        return body["nik"], body["nik_verified"]

    assert shown(await me(client, claimant)) == (None, False)
    assert shown(await me(client, holder)) == (NIK, False)
    assert (await client.patch(ME, json=claim, headers=claimant)).status_code == 200
    assert shown(await me(client, claimant)) == (NIK, False)  # pending
    await decide("refuse")
    assert shown(await me(client, claimant)) == (None, False)
    assert shown(await me(client, holder)) == (NIK, True)
    assert (await client.patch(ME, json=claim, headers=claimant)).status_code == 200
    assert shown(await me(client, claimant)) == (NIK, False)  # claimed again
    await decide("grant")
    assert shown(await me(client, claimant)) == (NIK, True)
    assert shown(await me(client, holder)) == (None, False)


async def test_clearing_the_nik_withdraws_a_pending_claim(client, demo, session):
    await register(client, "Pemilik", NIK)
    await register(client, "Penuntut", NIK)
    claimant = await log_in(client, "Penuntut")
    assert (await me(client, claimant))["nik"] == NIK
    cleared = await client.patch(
        ME, json={"nik": None, "current_password": PASSWORD}, headers=claimant
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["nik"] is None
    assert (await me(client, claimant))["nik"] is None
    [claim] = session.exec(select(NikClaim)).all()
    assert claim.status == "withdrawn"


async def test_changes_written_outside_a_request_show_on_me_at_once(client, demo, session):
    """A script or job writing through its own engine: a NIK claim (not the user's row) and a
    role and agency change (the row)."""
    await register(client, "Pemilik", NIK)
    claimant_id = await register(client, "Penuntut")
    claimant = await log_in(client, "Penuntut")
    assert (await me(client, claimant))["nik"] is None

    user = session.get_one(User, claimant_id)
    service.set_nik(session, user=user, nik=NIK)
    session.commit()
    assert (await me(client, claimant))["nik"] == NIK

    agency = session.exec(select(Agency).where(Agency.code == demo.agency_codes[0])).one()
    user.role, user.agency_id = Role.OFFICER, agency.id
    session.commit()
    shown = await me(client, claimant)
    assert (shown["role"], shown["agency_code"]) == ("officer", agency.code)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_change_on_another_host_shows_on_me_within_a_second(
    engine, database_url, tmp_path: Path
):
    with (
        live_server(tmp_path / "a", database_url=database_url, demo_content=False) as host_a,
        another_host(host_a, tmp_path / "b") as host_b,
    ):
        admin_account = host_a.account("admin")
        async with (
            httpx.AsyncClient(base_url=host_a.base_url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=host_b.base_url, timeout=10) as on_b,
        ):
            await register(on_a, "Pemilik", NIK)
            await register(on_a, "Penuntut", NIK)  # a pending claim
            claimant = await log_in(on_a, "Penuntut")
            admin = await login(on_b, admin_account.username, admin_account.password)

            async def seen_on_a_within_a_second(field: str, value: object) -> None:
                started = time.monotonic()
                while (await on_a.get(ME, headers=claimant)).json()[field] != value:
                    assert time.monotonic() - started < 1, f"host A still shows the old {field}"
                    await anyio.sleep(0.01)

            assert (await me(on_a, claimant))["nik"] == NIK
            [claim] = (await on_b.get("/api/v1/admin/nik-claims", headers=admin)).json()["items"]
            refused = await on_b.post(
                f"/api/v1/admin/nik-claims/{claim['id']}/decision",
                json={"outcome": "refuse"},
                headers=admin,
            )
            assert refused.status_code == 200, refused.text
            await seen_on_a_within_a_second("nik", None)

            assert (await me(on_a, claimant))["full_name"] == "Penuntut Warga"
            edited = await on_b.patch(ME, json={"full_name": "Penuntut Baru"}, headers=claimant)
            assert edited.status_code == 200, edited.text
            await seen_on_a_within_a_second("full_name", "Penuntut Baru")

"""The NIK is no oracle and no lock (findings 8 and 9 of issue 14): registration and profile
changes answer alike whether or not a NIK is taken; a second claim waits for an admin, both
claimants are told, and the owner is never locked out by a squatter."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from backend.accounts.models import NikClaim, User
from tests.backend.helpers import login

OWNERS_NIK = "3674015506920001"
FREE_NIK = "3674016501900003"
ANOTHER_FREE_NIK = "3674011203850002"
PASSWORD = "nasi-uduk-pagi-hari"
# What may differ between two registrations: who they are, not what the NIK did.
PERSONAL = {"id", "email", "full_name", "created_at", "nik"}


def resident(name: str, nik: str | None) -> dict:
    return {
        "full_name": name,
        "email": f"{name.lower().replace(' ', '.')}@example.com",
        "password": PASSWORD,
        "nik": nik,
    }


async def register(client, name: str, nik: str | None) -> httpx.Response:
    response = await client.post("/api/v1/accounts", json=resident(name, nik))
    assert response.status_code == 201, response.text
    return response


def without_personal(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in PERSONAL}


async def inbox(client, headers) -> list[dict]:
    return (await client.get("/api/v1/notifications", headers=headers)).json()["items"]


async def test_registration_answers_alike_whether_or_not_the_nik_is_taken(client, demo):
    await register(client, "Squatter", OWNERS_NIK)
    taken = await register(client, "Siti Pemilik", OWNERS_NIK)
    free = await register(client, "Dewi Lestari", FREE_NIK)
    assert taken.status_code == free.status_code == 201
    assert taken.headers.keys() - {"x-request-id"} == free.headers.keys() - {"x-request-id"}
    assert without_personal(taken.json()) == without_personal(free.json())
    # Each sees the NIK they gave, unverified: nothing tells them whether it was taken.
    assert (taken.json()["nik"], taken.json()["nik_verified"]) == (OWNERS_NIK, False)
    assert (free.json()["nik"], free.json()["nik_verified"]) == (FREE_NIK, False)


async def test_a_profile_change_answers_alike_whether_or_not_the_nik_is_taken(client, demo):
    await register(client, "Squatter", OWNERS_NIK)
    answers = []
    for name, nik in (("Siti Pemilik", OWNERS_NIK), ("Dewi Lestari", FREE_NIK)):
        await register(client, name, None)
        headers = await login(client, resident(name, None)["email"], PASSWORD)
        response = await client.patch(
            "/api/v1/me", json={"nik": nik, "current_password": PASSWORD}, headers=headers
        )
        assert response.status_code == 200, response.text
        answers.append(response)
        assert (await client.get("/api/v1/me", headers=headers)).json()["nik"] == nik
    taken, free = answers
    assert without_personal(taken.json()) == without_personal(free.json())


async def test_the_owner_is_never_locked_out_and_an_admin_gives_the_nik_back(client, demo):
    squatter = await register(client, "Squatter", OWNERS_NIK)
    owner = await register(client, "Siti Pemilik", OWNERS_NIK)
    # The owner's account works in full meanwhile: log in, file a complaint.
    owner_headers = await login(client, resident("Siti Pemilik", None)["email"], PASSWORD)
    squatter_headers = await login(client, resident("Squatter", None)["email"], PASSWORD)
    assert (await client.get("/api/v1/me", headers=owner_headers)).status_code == 200

    # The holder is told at once; the claimant only when an admin has decided.
    [told] = await inbox(client, squatter_headers)
    assert told["kind"] == "account.nik_claimed" and told["subject_type"] == "nik_claim"
    assert await inbox(client, owner_headers) == []

    admin = await login(client, demo.admin.username, demo.admin.password)
    assert any(n["kind"] == "account.nik_claim_review" for n in await inbox(client, admin))
    queue = (await client.get("/api/v1/admin/nik-claims", headers=admin)).json()
    [claim] = queue["items"]
    assert claim["nik"] == OWNERS_NIK and claim["status"] == "pending"
    assert claim["claimant"]["id"] == owner.json()["id"]
    assert claim["holder"]["id"] == squatter.json()["id"]

    decided = await client.post(
        f"/api/v1/admin/nik-claims/{claim['id']}/decision",
        json={"outcome": "grant", "note": "KTP diperiksa di kantor kelurahan."},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "granted"
    assert decided.json()["holder"]["id"] == owner.json()["id"]
    mine = (await client.get("/api/v1/me", headers=owner_headers)).json()
    assert (mine["nik"], mine["nik_verified"]) == (OWNERS_NIK, True)
    theirs = (await client.get("/api/v1/me", headers=squatter_headers)).json()
    assert (theirs["nik"], theirs["nik_verified"]) == (None, False)
    assert [n["kind"] for n in await inbox(client, owner_headers)] == ["account.nik_claim_decided"]
    assert "account.nik_claim_decided" in [n["kind"] for n in await inbox(client, squatter_headers)]

    again = await client.post(
        f"/api/v1/admin/nik-claims/{claim['id']}/decision",
        json={"outcome": "refuse"},
        headers=admin,
    )
    assert (again.status_code, again.json()["code"]) == (409, "nik_claim_decided")
    empty = (await client.get("/api/v1/admin/nik-claims", headers=admin)).json()
    assert empty["items"] == []


async def test_a_refused_claim_leaves_the_nik_with_its_holder_verified(client, demo):
    holder = await register(client, "Siti Pemilik", OWNERS_NIK)
    await register(client, "Squatter", OWNERS_NIK)
    admin = await login(client, demo.admin.username, demo.admin.password)
    [claim] = (await client.get("/api/v1/admin/nik-claims", headers=admin)).json()["items"]
    decided = await client.post(
        f"/api/v1/admin/nik-claims/{claim['id']}/decision",
        json={"outcome": "refuse"},
        headers=admin,
    )
    assert decided.json()["status"] == "refused"
    holder_headers = await login(client, holder.json()["email"], PASSWORD)
    mine = (await client.get("/api/v1/me", headers=holder_headers)).json()
    assert (mine["nik"], mine["nik_verified"]) == (OWNERS_NIK, True)
    squatter_headers = await login(client, resident("Squatter", None)["email"], PASSWORD)
    assert (await client.get("/api/v1/me", headers=squatter_headers)).json()["nik"] is None
    [told] = [
        n for n in await inbox(client, squatter_headers) if n["kind"] == "account.nik_claim_decided"
    ]
    assert told["title"] and told["subject_id"] == claim["id"]


async def test_entering_another_nik_withdraws_a_pending_claim(client, demo, session):
    await register(client, "Squatter", OWNERS_NIK)
    claimant = await register(client, "Siti Pemilik", OWNERS_NIK)
    headers = await login(client, claimant.json()["email"], PASSWORD)
    changed = await client.patch(
        "/api/v1/me", json={"nik": ANOTHER_FREE_NIK, "current_password": PASSWORD}, headers=headers
    )
    assert changed.json()["nik"] == ANOTHER_FREE_NIK
    [claim] = session.exec(select(NikClaim)).all()
    assert claim.status == "withdrawn"


async def test_only_admins_see_and_decide_claims(client, demo):
    for account in (demo.resident, demo.officer(demo.agency_codes[0])):
        headers = await login(client, account.username, account.password)
        assert (await client.get("/api/v1/admin/nik-claims", headers=headers)).status_code == 403
        decision = await client.post(
            "/api/v1/admin/nik-claims/1/decision", json={"outcome": "grant"}, headers=headers
        )
        assert decision.status_code == 403


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_sign_ups_with_one_free_nik_give_it_to_one_and_queue_the_rest(
    app, demo, session
):
    def sign_up(number: int) -> int:
        async def send() -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                body = resident(f"Warga {number} {uuid.uuid4().hex[:6]}", FREE_NIK)
                return (await client.post("/api/v1/accounts", json=body)).status_code

        return asyncio.run(send())

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(sign_up, range(6)))
    assert statuses == [201] * 6
    holders = session.exec(select(User.id).where(User.nik == FREE_NIK)).all()
    claims = session.exec(select(NikClaim).where(NikClaim.nik == FREE_NIK)).all()
    assert len(holders) == 1
    assert len(claims) == 5 and {c.status for c in claims} == {"pending"}
    assert holders[0] not in {c.claimant_id for c in claims}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_admins_deciding_one_claim_at_once_one_decision_stands(app, client, demo):
    squatter = await register(client, "Squatter", OWNERS_NIK)
    owner = await register(client, "Siti Pemilik", OWNERS_NIK)
    admin = await login(client, demo.admin.username, demo.admin.password)
    [claim] = (await client.get("/api/v1/admin/nik-claims", headers=admin)).json()["items"]
    url = f"/api/v1/admin/nik-claims/{claim['id']}/decision"

    def decide(outcome: str) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as other:
                return await other.post(url, json={"outcome": outcome}, headers=admin)

        return asyncio.run(send())

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(decide, ["grant", "refuse"]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).json()
    # The NIK ended where the one decision that stands put it.
    expected = {"granted": owner, "refused": squatter}[winner["status"]].json()["id"]
    assert winner["holder"]["id"] == expected
    pending = await client.get("/api/v1/admin/nik-claims", headers=admin)
    assert pending.json()["items"] == []

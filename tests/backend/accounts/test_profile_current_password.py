"""Sensitive profile changes need the current password (finding 9 of issue 14): whoever holds a
stolen session must not redirect the account's e-mail, phone or NIK."""

import pytest

from tests.backend.helpers import login

CHANGES = [
    ("email", "siti.baru@example.com"),
    ("phone", "0812-9999-8888"),
    ("nik", "3674011203850002"),
]


@pytest.mark.parametrize(("field", "value"), CHANGES, ids=[c[0] for c in CHANGES])
async def test_changing_a_contact_or_the_nik_needs_the_current_password(client, demo, field, value):
    headers = await login(client, demo.resident.username, demo.resident.password)
    before = (await client.get("/api/v1/me", headers=headers)).json()

    missing = await client.patch("/api/v1/me", json={field: value}, headers=headers)
    assert missing.status_code == 422
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["errors"][0]["field"] == "current_password"
    assert missing.json()["errors"][0]["code"] == "current_password_required"

    wrong = await client.patch(
        "/api/v1/me", json={field: value, "current_password": "tebak-tebakan-saja"}, headers=headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (403, "current_password_wrong")
    assert (await client.get("/api/v1/me", headers=headers)).json() == before

    right = await client.patch(
        "/api/v1/me",
        json={field: value, "current_password": demo.resident.password},
        headers=headers,
    )
    assert right.status_code == 200, right.text
    assert right.json()[field] not in (None, before[field])


async def test_name_language_and_unchanged_contacts_need_no_password(client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    response = await client.patch(
        "/api/v1/me",
        json={"full_name": "Siti R.", "language": "en", "email": me["email"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Siti R."


async def test_guessing_the_current_password_locks_the_confirmation_not_the_login(
    client, demo, settings
):
    """A stolen access token must not become a way to guess the password: wrong current
    passwords, through either form, count toward a lock like failed logins do."""
    headers = await login(client, demo.resident.username, demo.resident.password)
    for attempt in range(settings.login_max_failures):
        if attempt % 2:
            wrong = await client.post(
                "/api/v1/me/password",
                json={"current_password": f"tebakan-{attempt}", "new_password": "teh-tarik-9"},
                headers=headers,
            )
            assert wrong.status_code == 401
        else:
            wrong = await client.patch(
                "/api/v1/me",
                json={"email": "pencuri@example.com", "current_password": f"tebakan-{attempt}"},
                headers=headers,
            )
            assert wrong.status_code == 403

    locked = await client.patch(
        "/api/v1/me",
        json={"email": "pencuri@example.com", "current_password": demo.resident.password},
        headers=headers,
    )
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/me", headers=headers)).json()[
        "email"
    ] == demo.resident.username
    # The owner can still sign in: the lock is on confirming, not on the account.
    assert await login(client, demo.resident.username, demo.resident.password)

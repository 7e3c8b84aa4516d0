"""Registering residents, profiles, passwords and staff accounts."""

from tests.backend.helpers import login

REGISTRATION = {
    "full_name": "Dewi Lestari",
    "email": "Dewi.Lestari@Example.com",
    "phone": "0813 2222 3333",
    "password": "nasi-uduk-pagi-hari",
    "nik": "3674015506920001",
}


async def test_resident_registers_and_logs_in_with_normalised_contacts(client, demo):
    response = await client.post("/api/v1/accounts", json=REGISTRATION)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "dewi.lestari@example.com"
    assert user["phone"] == "+6281322223333"
    assert user["role"] == "resident" and user["agency_code"] is None
    headers = await login(client, "081322223333", REGISTRATION["password"])
    assert (await client.get("/api/v1/me", headers=headers)).json()["id"] == user["id"]


async def test_registration_needs_email_or_phone(client, demo):
    body = {k: v for k, v in REGISTRATION.items() if k not in {"email", "phone"}}
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"email", "phone"}


async def test_registration_names_the_field_at_fault(client, demo):
    cases = [
        ({"password": "short"}, "password", "weak_password"),
        ({"password": "bismillah123"}, "password", "common_password"),
        ({"password": "dewi-lestari-2026x"}, "password", "weak_password"),
        ({"phone": "021 555 1234"}, "phone", "invalid_phone"),
        ({"nik": "3674019999920001"}, "nik", "invalid_nik"),
        ({"email": "not-an-email"}, "email", "validation_failed"),
    ]
    for change, field, code in cases:
        response = await client.post("/api/v1/accounts", json={**REGISTRATION, **change})
        assert response.status_code == 422, change
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)], change


async def test_duplicate_email_or_phone_is_a_conflict(client, demo):
    assert (await client.post("/api/v1/accounts", json=REGISTRATION)).status_code == 201
    again = await client.post("/api/v1/accounts", json={**REGISTRATION, "nik": None, "phone": None})
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    phone = await client.post(
        "/api/v1/accounts",
        json={**REGISTRATION, "email": "other@example.com", "nik": None, "phone": "+6281322223333"},
    )
    assert phone.status_code == 409 and phone.json()["code"] == "phone_taken"


async def test_profile_update(client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    response = await client.patch(
        "/api/v1/me", headers=headers, json={"full_name": "Siti R.", "language": "en"}
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Siti R." and response.json()["language"] == "en"
    password = {"current_password": demo.resident.password}
    taken = await client.patch(
        "/api/v1/me", headers=headers, json={"email": demo.other_resident.username, **password}
    )
    assert taken.status_code == 409
    emptied = await client.patch(
        "/api/v1/me", headers=headers, json={"email": None, "phone": None, **password}
    )
    assert emptied.status_code == 422


async def test_password_change_ends_other_sessions(client, demo):
    account = demo.resident
    this_device = await login(client, account.username, account.password)
    other_device = await login(client, account.username, account.password)
    wrong = await client.post(
        "/api/v1/me/password",
        headers=this_device,
        json={"current_password": "nope-nope-nope", "new_password": "teh-tarik-bintaro"},
    )
    assert wrong.status_code == 401
    response = await client.post(
        "/api/v1/me/password",
        headers=this_device,
        json={"current_password": account.password, "new_password": "teh-tarik-bintaro"},
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=this_device)).status_code == 200
    assert (await client.get("/api/v1/me", headers=other_device)).status_code == 401
    old = await client.post(
        "/api/v1/auth/token", data={"username": account.username, "password": account.password}
    )
    assert old.status_code == 401
    await login(client, account.username, "teh-tarik-bintaro")


async def test_resident_gets_403_on_admin_routes(client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    for method, path in [
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users/1/deactivate"),
    ]:
        response = await client.request(method, path, headers=headers, json={})
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"


async def test_officer_gets_403_on_admin_routes(client, demo):
    officer = demo.officer(demo.agency_codes[0])
    headers = await login(client, officer.username, officer.password)
    assert (await client.get("/api/v1/admin/users", headers=headers)).status_code == 403


async def test_admin_creates_staff_in_an_agency(client, demo):
    headers = await login(client, demo.admin.username, demo.admin.password)
    agency = demo.agency_codes[0]
    body = {
        "full_name": "Agus Setiawan",
        "email": "agus@harapanbaru.go.id",
        "password": "jalan-mulus-2026",
        "role": "officer",
        "agency_code": agency,
    }
    response = await client.post("/api/v1/admin/users", headers=headers, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["agency_code"] == agency
    token = await client.post(
        "/api/v1/auth/token", data={"username": body["email"], "password": body["password"]}
    )
    assert token.json()["role"] == "officer" and token.json()["agency_code"] == agency

    no_agency = await client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={**body, "email": "x@harapanbaru.go.id", "agency_code": None},
    )
    assert no_agency.status_code == 422 and no_agency.json()["errors"][0]["field"] == "agency_code"
    unknown = await client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={**body, "email": "y@harapanbaru.go.id", "agency_code": "NOPE"},
    )
    assert unknown.status_code == 422
    resident_role = await client.post(
        "/api/v1/admin/users", headers=headers, json={**body, "role": "resident"}
    )
    assert resident_role.status_code == 422


async def test_admin_lists_users_with_a_cursor(client, demo):
    headers = await login(client, demo.admin.username, demo.admin.password)
    seen, cursor = [], None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/admin/users", headers=headers, params=params)).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(demo.all) == len(set(seen))
    bad = await client.get("/api/v1/admin/users", headers=headers, params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_staff_list_their_agency_colleagues(client, demo):
    agency, other = demo.agency_codes[0], demo.agency_codes[1]
    officer = demo.officer(agency)
    headers = await login(client, officer.username, officer.password)
    response = await client.get("/api/v1/me/colleagues", headers=headers)
    assert response.status_code == 200
    names = {c["full_name"] for c in response.json()["items"]}
    assert names == {f"Petugas {agency}", f"Kepala {agency}"}
    assert f"Petugas {other}" not in names
    resident = await login(client, demo.resident.username, demo.resident.password)
    assert (await client.get("/api/v1/me/colleagues", headers=resident)).status_code == 403

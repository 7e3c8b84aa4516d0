"""Unique values never race to a 500: ten requests at once claiming one value get one success
and nine 409s with a stable code, or all succeed where repeating means the same (following).

On PostgreSQL (SQLite serialises writers): ten real threads, each with its own event loop, HTTP
client and database connection, are held at a barrier just before their write, after every one
has checked that the value is free, so the race is certain rather than likely.
"""

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import event, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend.accounts.models import User
from backend.complaints import service as complaints_service
from backend.complaints.models import Complaint, ComplaintSupporter
from backend.information import announcements
from backend.information.models import AgencyFollow
from backend.region.models import Agency
from tests.backend.complaints.complaint_helpers import file_complaint
from tests.backend.helpers import login

AT_ONCE = 10
PASSWORD = "kata-sandi-yang-panjang-2026"


def _send(app, method: str, url: str, body: dict | None, headers: dict) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, url, json=body, headers=headers)

    return asyncio.run(send())


def all_at_once(app, model, hook: str, requests: list[tuple]) -> list[httpx.Response]:
    """Send `requests` (method, url, body, headers) together; each waits at `model`'s `hook`
    (before_insert, before_update) until all have got that far."""
    everyone_checked = threading.Barrier(len(requests), timeout=30)

    def wait_for_the_others(mapper, connection, target) -> None:
        everyone_checked.wait()

    event.listen(model, hook, wait_for_the_others)
    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            futures = [pool.submit(_send, app, *request) for request in requests]
            return [future.result(timeout=60) for future in futures]
    finally:
        event.remove(model, hook, wait_for_the_others)


def statuses(responses: list[httpx.Response]) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.content else None) for r in responses)


def registration(number: int, **fields) -> dict:
    return {
        "full_name": f"Warga Ke {number}",
        "email": f"warga{number}@example.com",
        "password": PASSWORD,
        **fields,
    }


async def _residents(client, count: int) -> list[dict[str, str]]:
    headers = []
    for number in range(count):
        body = registration(number)
        assert (await client.post("/api/v1/accounts", json=body)).status_code == 201
        headers.append(await login(client, body["email"], PASSWORD))
    return headers


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_ten_registrations_with_one_email_one_wins_nine_get_409(app, session):
    body = registration(1, email="rebutan@example.com")
    requests = [("POST", "/api/v1/accounts", body, {})] * AT_ONCE
    responses = all_at_once(app, User, "before_insert", requests)
    assert statuses(responses) == {(201, None): 1, (409, "email_taken"): AT_ONCE - 1}
    conflict = next(r for r in responses if r.status_code == 409)
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["errors"][0]["field"] == "email"
    owners = session.scalar(select(func.count()).where(User.email == "rebutan@example.com"))
    assert owners == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_ten_staff_creations_with_one_email_one_wins_nine_get_409(app, client, demo):
    admin = await login(client, demo.admin.username, demo.admin.password)
    body = {
        "full_name": "Petugas Baru",
        "email": "petugas.baru@harapanbaru.go.id",
        "password": PASSWORD,
        "role": "officer",
        "agency_code": "dlh",
    }
    requests = [("POST", "/api/v1/admin/users", body, admin)] * AT_ONCE
    responses = await asyncio.to_thread(all_at_once, app, User, "before_insert", requests)
    assert statuses(responses) == {(201, None): 1, (409, "email_taken"): AT_ONCE - 1}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("email", "sama@example.com", "email_taken"), ("phone", "0813-9999-0000", "phone_taken")],
)
async def test_ten_residents_changing_to_one_value_one_wins_nine_get_409(
    app, client, demo, field, value, code
):
    residents = await _residents(client, AT_ONCE)
    body = {field: value, "current_password": PASSWORD}
    requests = [("PATCH", "/api/v1/me", body, headers) for headers in residents]
    responses = await asyncio.to_thread(all_at_once, app, User, "before_update", requests)
    assert statuses(responses) == {(200, None): 1, (409, code): AT_ONCE - 1}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_ten_residents_claiming_one_nik_at_once_get_no_500(app, client, demo):
    residents = await _residents(client, AT_ONCE)
    body = {"nik": "3674015506920001", "current_password": PASSWORD}
    requests = [("PATCH", "/api/v1/me", body, headers) for headers in residents]
    responses = await asyncio.to_thread(all_at_once, app, User, "before_update", requests)
    # A NIK someone holds becomes a claim for admins, so every change answers alike.
    assert [r.status_code for r in responses] == [200] * AT_ONCE, statuses(responses)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_following_an_agency_ten_times_at_once_is_following_it(app, client, demo, session):
    resident = await login(client, demo.resident.username, demo.resident.password)
    requests = [("PUT", "/api/v1/directory/dlh/follow", None, resident)] * AT_ONCE
    responses = await asyncio.to_thread(all_at_once, app, AgencyFollow, "before_insert", requests)
    assert [r.status_code for r in responses] == [204] * AT_ONCE, statuses(responses)
    follows = await client.get("/api/v1/follows", headers=resident)
    assert [agency["code"] for agency in follows.json()["items"]] == ["dlh"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_supporting_a_complaint_ten_times_at_once_counts_once(app, client, demo, session):
    reporter = await login(client, demo.resident.username, demo.resident.password)
    complaint = await file_complaint(client, reporter)
    other = await login(client, demo.other_resident.username, demo.other_resident.password)
    url = f"/api/v1/complaints/{complaint['id']}/support"
    requests = [("PUT", url, None, other)] * AT_ONCE
    responses = await asyncio.to_thread(
        all_at_once, app, ComplaintSupporter, "before_insert", requests
    )
    assert [r.status_code for r in responses] == [200] * AT_ONCE, statuses(responses)
    supporters = session.scalar(
        select(func.count()).where(ComplaintSupporter.complaint_id == complaint["id"])
    )
    assert supporters == 1


# On both engines: a duplicate is tolerated where it means "done already", a foreign key that
# points nowhere is not (the old `except IntegrityError: pass` swallowed both).


def test_following_an_agency_that_is_not_there_is_an_error_not_a_no_op(session, demo):
    resident = session.exec(select(User).where(User.email == demo.resident.username)).one()
    gone = Agency(id=999_999, code="hilang")  # never saved
    with pytest.raises(IntegrityError):
        announcements.follow(session, user=resident, agency=gone, now=resident.created_at)
        session.flush()


def test_supporting_a_complaint_that_is_not_there_is_an_error_not_a_no_op(session, demo):
    resident = session.exec(select(User).where(User.email == demo.resident.username)).one()
    reporter = session.exec(select(User).where(User.email == demo.other_resident.username)).one()
    gone = Complaint(id=999_999, reporter_id=reporter.id)  # never saved
    with pytest.raises(IntegrityError):
        complaints_service.support(session, complaint=gone, resident=resident)
        session.flush()

"""Deciding a permit step takes holding it, and every action checks the version the caller saw:
an officer approving from a stale screen is refused (finding 10 of issue 14)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from backend.accounts.models import User
from backend.demo_accounts import DemoAccount
from backend.permits.models import PermitEvent
from shared.roles import Role
from tests.backend.permits.conftest import first_writes_held_until_both_arrive

SECOND_OFFICER = ("rina@harapanbaru.go.id", "petugas-kedua-2026")


@pytest.fixture
def second_officer(session, hashing, demo):
    """A colleague of the demo officer in DPMPTSP, who takes the same steps."""
    first = session.exec(select(User).where(User.email == demo.officer("dpmptsp").username)).one()
    session.add(
        User(
            full_name="Rina Petugas",
            email=SECOND_OFFICER[0],
            password_hash=hashing.hash(SECOND_OFFICER[1]),
            role=Role.OFFICER,
            agency_id=first.agency_id,
        )
    )
    session.commit()
    return DemoAccount(
        username=SECOND_OFFICER[0],
        password=SECOND_OFFICER[1],
        role=Role.OFFICER,
        agency="dpmptsp",
        full_name="Rina Petugas",
    )


async def _post(permits, account, application: dict, action: str, body=None, version=None):
    headers = await permits.auth(account)
    if version is not None:
        headers = {**headers, "If-Match": f'"{version}"'}
    return await permits.client.post(
        f"/api/v1/permits/applications/{application['id']}/actions/{action}",
        json=body or {},
        headers=headers,
    )


async def test_an_approval_from_a_stale_screen_after_a_colleague_approved_is_refused(
    permits, second_officer
):
    officer = permits.demo.officer("dpmptsp")
    application = await permits.submitted("izin-reklame")
    claimed = await permits.act(officer, application, "claim")
    # Both officers have the application open at this version; the holder approves step one.
    approved = await permits.act(officer, application, "approve", {"note": "Lengkap."})
    assert approved["current_step"]["code"] != claimed["current_step"]["code"]

    stale = await _post(permits, second_officer, application, "approve", version=claimed["version"])
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    # Even with the current version, nobody approves a step they do not hold.
    current = await _post(
        permits, second_officer, application, "approve", version=approved["version"]
    )
    assert (current.status_code, current.json()["code"]) == (409, "step_not_held")
    unclaimed = await _post(permits, officer, application, "approve")
    assert (unclaimed.status_code, unclaimed.json()["code"]) == (409, "step_not_held")
    assert (await permits.get(application))["current_step"] == approved["current_step"]


async def test_a_step_a_colleague_holds_cannot_be_claimed_away(permits, second_officer):
    application = await permits.submitted("izin-reklame")
    await permits.act(permits.demo.officer("dpmptsp"), application, "claim")
    problem = await permits.act(second_officer, application, "claim", expect=409)
    assert problem["code"] == "step_not_held"
    problem = await permits.act(second_officer, application, "approve", expect=409)
    assert problem["code"] == "step_not_held"


async def test_a_supervisor_takes_a_step_over_and_the_audit_trail_says_from_whom(permits, session):
    officer, supervisor = permits.demo.officer("dpmptsp"), permits.demo.supervisor("dpmptsp")
    application = await permits.submitted("izin-reklame")
    held = await permits.act(officer, application, "claim")
    # Only supervisors take over; an officer cannot.
    assert (await permits.act(officer, application, "take-over", expect=403))["code"] == (
        "forbidden"
    )
    taken = await permits.act(supervisor, application, "take-over")
    assert taken["assignee_id"] != held["assignee_id"]
    assert taken["current_step"]["role"] == "officer"  # an officer's step, decided by the head

    await permits.act(officer, application, "approve", expect=409)
    approved = await permits.act(supervisor, application, "approve", {"note": "Saya putuskan."})
    assert approved["current_step"]["code"] != taken["current_step"]["code"]

    events = session.exec(
        select(PermitEvent)
        .where(PermitEvent.application_id == application["id"])
        .order_by(PermitEvent.id)
    ).all()
    take_over = next(e for e in events if e.action == "take_over")
    assert take_over.details == {"previous_assignee_id": held["assignee_id"]}
    assert take_over.actor_role == "supervisor" and not take_over.public
    assert [e.action for e in events][-2:] == ["take_over", "approve_step"]
    # The resident's timeline does not show the internal hand-over.
    seen = await permits.get(application)
    assert "take_over" not in [event["action"] for event in seen["timeline"]]


# Every action on an application, with a body it accepts: all check If-Match.
ACTIONS = [
    ("PATCH", "", {"answers": {"lebar_m": 4}}),
    ("POST", "/actions/resubmit", {}),
    ("POST", "/actions/withdraw", {}),
    ("POST", "/actions/claim", {}),
    ("POST", "/actions/take-over", {}),
    ("POST", "/actions/assign", {"assignee_id": 1}),
    ("POST", "/actions/approve", {}),
    ("POST", "/actions/request-info", {"note": "Foto buram.", "documents": ["foto-lokasi"]}),
    ("POST", "/actions/reject", {"reasons": "Lokasi di jalur hijau."}),
    (
        "POST",
        "/actions/record-payment",
        {"receipt_number": "KW-1", "amount": 1, "paid_on": "2026-11-02"},
    ),
    ("POST", "/actions/revoke", {"reason": "Palsu."}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), ACTIONS, ids=[a[1] or "PATCH" for a in ACTIONS]
)
async def test_every_action_refuses_a_version_other_than_the_current_one(
    permits, method, path, body
):
    application = await permits.submitted("izin-reklame")
    resident = permits.demo.resident
    account = {
        "": resident,
        "/actions/resubmit": resident,
        "/actions/withdraw": resident,
        "/actions/take-over": permits.demo.supervisor("dpmptsp"),
        "/actions/assign": permits.demo.supervisor("dpmptsp"),
        "/actions/revoke": permits.demo.supervisor("dpmptsp"),
    }.get(path, permits.demo.officer("dpmptsp"))
    headers = {**await permits.auth(account), "If-Match": f'"{application["version"] + 1}"'}
    url = f"/api/v1/permits/applications/{application['id']}{path}"
    response = await permits.client.request(method, url, json=body, headers=headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "version_conflict"
    assert (await permits.get(application))["version"] == application["version"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_officers_claiming_at_once_one_holds_the_step(
    permits, app, session, second_officer
):
    application = await permits.submitted("izin-reklame")
    officers = [permits.demo.officer("dpmptsp"), second_officer]
    headers = [await permits.auth(officer) for officer in officers]
    url = f"/api/v1/permits/applications/{application['id']}/actions/claim"

    def claim(officer_headers) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.post(url, json={}, headers=officer_headers)

        return asyncio.run(send())

    with (
        first_writes_held_until_both_arrive(app.state.engine),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        responses = list(pool.map(claim, headers))

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await permits.get(application))["assignee_id"] == winner["assignee_id"]
    claims = session.exec(
        select(PermitEvent).where(
            PermitEvent.application_id == application["id"], PermitEvent.action == "claim"
        )
    ).all()
    assert len(claims) == 1

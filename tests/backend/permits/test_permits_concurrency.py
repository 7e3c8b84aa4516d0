"""Concurrency on PostgreSQL, where writers really run at once (SQLite serialises them):
two decisions on one application, and registration numbers handed out in parallel."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.permits import drafting
from backend.permits.models import PermitEvent
from tests.backend.permits.conftest import ANSWERS, first_writes_held_until_both_arrive

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


async def test_two_concurrent_decisions_one_wins_the_other_gets_409(permits, app, session):
    application = await permits.submitted("izin-reklame")
    officer = permits.demo.officer("dpmptsp")
    await permits.act(officer, application, "claim")
    headers = await permits.auth(officer)
    url = f"/api/v1/permits/applications/{application['id']}/actions"
    decisions = [
        ("approve", {"note": "Berkas lengkap."}),
        ("reject", {"reasons": "Lokasi di jalur hijau."}),
    ]

    def decide(decision) -> httpx.Response:
        # Each thread is a separate client with its own event loop, like two tablets.
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                action, body = decision
                return await client.post(f"{url}/{action}", json=body, headers=headers)

        return asyncio.run(send())

    with (
        first_writes_held_until_both_arrive(app.state.engine),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        responses = list(pool.map(decide, decisions))

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "version_conflict"
    winner = next(r for r in responses if r.status_code == 200).json()
    decisions_recorded = session.exec(
        select(PermitEvent.action).where(
            PermitEvent.application_id == application["id"],
            PermitEvent.action.in_(["approve_step", "reject"]),
        )
    ).all()
    assert len(decisions_recorded) == 1
    assert (await permits.get(application))["status"] == winner["status"]


def test_registration_numbers_stay_unique_when_created_at_once(engine, demo):
    with Session(engine) as session:
        resident = session.exec(select(User).where(User.email == demo.resident.username)).one()
    barrier = threading.Barrier(8)

    def create(_) -> str:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=20)
            application = drafting.create_draft(
                session,
                applicant=resident,
                permit_type_code="pbg",
                answers=ANSWERS["pbg"],
                language="en",
            )
            session.commit()
            return application.registration_number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(8)))
    assert len(set(numbers)) == 8
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 9))

"""Two officers acting on one complaint at the same moment: exactly one wins, the other gets 409.

Runs on PostgreSQL: SQLite serialises writers, so it cannot show a real race. Two real threads,
each with its own event loop, HTTP client and database connection, are held at a barrier just
before their UPDATE, after both have read the same row version.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import select

from backend.complaints.models import Complaint, ComplaintEvent
from backend.region.models import Agency
from tests.backend.complaints.complaint_helpers import file_complaint

# PostgreSQL only (not also SQLite, as the other tests): deselected when none is configured.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def _road_agency_id(session) -> int:
    return session.exec(select(Agency.id).where(Agency.code == "dbmsda")).one()


def _post(app, url: str, body: dict, headers: dict) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(url, json=body, headers=headers)

    return asyncio.run(send())


async def test_two_officers_acting_at_once_one_succeeds_one_gets_409(app, client, callers, session):
    complaint = await file_complaint(client, callers.resident)
    base = f"/api/v1/complaints/{complaint['id']}/actions"
    requests = [
        (f"{base}/verify", {"note": "Terverifikasi"}, callers.road_officer),
        (f"{base}/forward", {"agency": "dlh", "reason": "Sampah"}, callers.road_supervisor),
    ]
    both_read = threading.Barrier(2, timeout=10)
    arrived: set[int] = set()

    def wait_for_the_other(mapper, connection, target) -> None:
        # A request may flush more than once; only its first UPDATE waits for the other's.
        if threading.get_ident() not in arrived:
            arrived.add(threading.get_ident())
            both_read.wait()

    event.listen(Complaint, "before_update", wait_for_the_other)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(_post, app, url, body, headers) for url, body, headers in requests
            ]
            responses = [future.result(timeout=30) for future in futures]
    finally:
        event.remove(Complaint, "before_update", wait_for_the_other)

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "version_conflict"
    assert loser.headers["content-type"] == "application/problem+json"

    actions = session.exec(
        select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint["id"])
    ).all()
    assert sorted(actions) in (["file", "verify"], ["file", "forward"])
    row = session.get(Complaint, complaint["id"])
    session.refresh(row)
    # The winner's change stands whole; nothing of the loser's was written.
    winner = "verify" if "verify" in actions else "forward"
    assert (row.status, row.agency_id != _road_agency_id(session)) == {
        "verify": ("verified", False),
        "forward": ("submitted", True),
    }[winner]

"""One access rule for complaints: as every role, what a caller can list is exactly what it can
fetch one by one, and exactly what it should see (confidential, rejected, forwarded and other
agencies' complaints included in the fixture set)."""

import httpx
import pytest
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.callers import RoleOnly, parameters
from backend.complaints import access, service
from backend.complaints.models import Complaint
from backend.complaints.schemas import ComplaintCreate, ForwardInput, RejectInput
from shared.complaints import ComplaintStatus
from shared.roles import Role
from tests.backend.complaints.complaint_helpers import WASTE, complaint_body
from tests.backend.helpers import client_credentials, fetchable, ids_of_pages, login

PUBLIC_FEED = "/api/v1/public/complaints"
OPEN311 = "/open311/v2/requests"


@pytest.fixture
def complaints(session: Session, demo) -> dict[str, int]:
    """Siti's and Budi's complaints in every state the rule tells apart, by name -> id."""
    users = {user.full_name: user for user in session.exec(select(User))}
    siti, budi = users[demo.resident.full_name], users[demo.other_resident.full_name]
    road_officer = users[demo.officer("dbmsda").full_name]

    def file(reporter: User, **changes) -> int:
        data = ComplaintCreate(**complaint_body(**changes))
        return service.file_complaint(session, reporter=reporter, data=data)

    made = {
        "public": file(siti),
        "confidential": file(siti, confidential=True),
        "rejected": file(siti),
        "anonymous": file(siti, anonymous=True),
        "other_reporter": file(budi),
        "other_agency": file(budi, category=WASTE, answers={"jenis_lokasi": "tps"}),
        "forwarded": file(budi),
        "other_agency_confidential": file(
            siti, category=WASTE, answers={"jenis_lokasi": "tps"}, confidential=True
        ),
    }
    reason = RejectInput(reason="spam", note="Iklan.")
    service.reject(session, complaint=made["rejected"], actor=road_officer, data=reason)
    to_waste = ForwardInput(agency="dlh", reason="Urusan sampah")
    service.forward(session, complaint=made["forwarded"], actor=road_officer, data=to_waste)
    session.commit()
    return {name: complaint.id for name, complaint in made.items()}


async def _private_list(client: httpx.AsyncClient, headers: dict[str, str]) -> set[int]:
    """Everything the caller's own lists hold: "my complaints" and the queue in every status."""
    listed = await ids_of_pages(client, "/api/v1/complaints/mine", headers)
    listed |= await ids_of_pages(client, "/api/v1/complaints/queue", headers)
    for status in ComplaintStatus:
        listed |= await ids_of_pages(client, "/api/v1/complaints/queue", headers, status=status)
    return listed


async def _public_list(client: httpx.AsyncClient, headers: dict[str, str]) -> set[int]:
    """The public feed; the map and Open311 must list the same."""
    listed = await ids_of_pages(client, PUBLIC_FEED, headers)
    features = (await client.get(f"{PUBLIC_FEED}/map", headers=headers)).json()["features"]
    assert {feature["id"] for feature in features} == listed
    requests = (await client.get(f"{OPEN311}.json")).json()
    assert {int(request["service_request_id"]) for request in requests} == listed
    return listed


async def _public_fetch(client: httpx.AsyncClient, ids: set[int], headers) -> set[int]:
    fetched = await fetchable(client, PUBLIC_FEED + "/{}", ids, headers)
    assert await fetchable(client, OPEN311 + "/{}.json", ids, headers) == fetched
    return fetched


async def test_every_role_fetches_exactly_the_complaints_it_lists(client, demo, complaints):
    everything = set(complaints.values())

    def named(*names: str) -> set[int]:
        return {complaints[name] for name in names}

    public = named("public", "anonymous", "other_reporter", "other_agency", "forwarded")
    sitis = named("public", "confidential", "rejected", "anonymous", "other_agency_confidential")
    road = named("public", "confidential", "rejected", "anonymous", "other_reporter")
    waste = named("other_agency", "forwarded", "other_agency_confidential")
    admin = await login(client, demo.admin.username, demo.admin.password)
    # An agency-bound client reads its agency's queue (and, like anyone, the public side).
    road_client = await client_credentials(client, admin, scopes="complaints:read", agency="dbmsda")
    callers = {
        "anonymous": ({}, set()),
        "reporter": (demo.resident, sitis),
        "other resident": (demo.other_resident, everything - sitis),
        "officer": (demo.officer("dbmsda"), road),
        "supervisor": (demo.supervisor("dbmsda"), road),
        "officer of another agency": (demo.officer("dlh"), waste),
        "admin": (admin, set()),
        "integrator client": (road_client, road),
    }
    for role, (who, expected_private) in callers.items():
        headers = who if isinstance(who, dict) else await login(client, who.username, who.password)
        listed = await _private_list(client, headers)
        assert listed == expected_private, role
        public_listed = await _public_list(client, headers)
        assert public_listed == public, role
        assert await _public_fetch(client, everything, headers) == public_listed, role
        if role == "integrator client":  # a client has the queue, not the private reads
            continue
        fetched = await fetchable(client, "/api/v1/complaints/{}", everything, headers)
        assert fetched == listed, role
        # Photos follow their complaint: the public ones and the caller's private ones.
        assert await _photo_reachable(client, everything, headers) == public | listed, role


async def _photo_reachable(client: httpx.AsyncClient, ids: set[int], headers) -> set[int]:
    """The complaints whose photos the caller reaches: for a photo that does not exist, the
    answer names the photo (not the complaint) once the complaint's rule let the caller in."""
    reachable = set()
    for complaint_id in ids:
        response = await client.get(f"/api/v1/complaints/{complaint_id}/photos/1", headers=headers)
        assert response.status_code == 404
        if "no such photo" in response.json()["detail"]:
            reachable.add(complaint_id)
    return reachable


def test_a_statement_prebuilt_from_the_rule_serves_every_caller_of_its_role(
    session, demo, complaints
):
    users = {user.full_name: user for user in session.exec(select(User))}
    queue = select(Complaint.id).where(access.handled_by(RoleOnly(Role.OFFICER)))
    mine = select(Complaint.id).where(access.reported_by(RoleOnly(Role.RESIDENT)))

    def run(statement, caller: User | None = None) -> set[int]:
        return set(session.scalars(statement, parameters(caller) if caller else {}))

    for account in (demo.officer("dbmsda"), demo.officer("dlh")):
        officer = users[account.full_name]
        expected = set(session.scalars(select(Complaint.id).where(access.handled_by(officer))))
        assert expected and run(queue, officer) == expected
    siti = users[demo.resident.full_name]
    assert run(mine, siti) == set(
        session.scalars(select(Complaint.id).where(access.reported_by(siti)))
    )
    # Nobody bound: nothing, rather than someone else's complaints.
    assert run(queue) == set() and run(mine) == set()

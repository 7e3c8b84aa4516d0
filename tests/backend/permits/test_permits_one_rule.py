"""One access rule for permit applications: as every role, what a caller can list is exactly
what it can fetch one by one, and exactly what it should see (drafts, submitted and issued
applications of two agencies); residents never read internal notes, staff do."""

import datetime as dt

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.permits import drafting
from backend.permits.models import PermitApplication, PermitEvent
from shared.permits import PermitStatus
from tests.backend.helpers import fetchable, ids_of_pages, login

APPLICATIONS = "/api/v1/permits/applications"
INTERNAL_NOTE = "Catatan internal: cek lapangan dulu."


def _application(
    session: Session, applicant: User, permit_type: str, status: PermitStatus
) -> PermitApplication:
    """An application of `applicant` in `status`, as the workflow would have left it."""
    application = drafting.create_draft(
        session, applicant=applicant, permit_type_code=permit_type, answers={}, language="id"
    )
    if status != PermitStatus.DRAFT:
        now = utcnow()
        application.status = status
        application.submitted_at = now
        application.due_on = now.date() + dt.timedelta(days=14)
        application.step_role = "officer" if status == PermitStatus.SUBMITTED else None
        session.add(application)
        session.flush()
        session.add(
            PermitEvent(
                application_id=application.id,
                actor_id=applicant.id,
                actor_role="resident",
                action="submit",
                from_status=PermitStatus.DRAFT,
                to_status=PermitStatus.SUBMITTED,
            )
        )
    if status == PermitStatus.ISSUED:
        application.permit_number = f"503/{application.id}/UJI"
        application.issued_at = application.submitted_at
        application.valid_from = application.due_on
        application.verification_code = f"uji-{application.id}"
        session.add(application)
    return application


async def test_every_role_fetches_exactly_the_applications_it_lists(client, session, demo):
    users = {user.full_name: user for user in session.exec(select(User))}
    siti, budi = users[demo.resident.full_name], users[demo.other_resident.full_name]
    made = {
        "siti_draft": _application(session, siti, "izin-reklame", PermitStatus.DRAFT),
        "siti_submitted": _application(session, siti, "izin-reklame", PermitStatus.SUBMITTED),
        "siti_issued": _application(session, siti, "pbg", PermitStatus.ISSUED),
        "budi_draft": _application(session, budi, "pbg", PermitStatus.DRAFT),
        "budi_submitted": _application(session, budi, "pbg", PermitStatus.SUBMITTED),
        "budi_other_agency": _application(session, budi, "sip-nakes", PermitStatus.SUBMITTED),
    }
    officer = users[demo.officer("dpmptsp").full_name]
    session.add(
        PermitEvent(
            application_id=made["siti_submitted"].id,
            actor_id=officer.id,
            actor_role="officer",
            action="comment",
            from_status=PermitStatus.SUBMITTED,
            to_status=PermitStatus.SUBMITTED,
            note=INTERNAL_NOTE,
            public=False,
        )
    )
    session.commit()
    ids = {name: application.id for name, application in made.items()}
    everything = set(ids.values())

    def named(*names: str) -> set[int]:
        return {ids[name] for name in names}

    submitted = everything - named("siti_draft", "budi_draft")
    # Each caller: what it should list and fetch, and what its review queue holds.
    callers = {
        "anonymous": (None, set(), set()),
        "applicant": (demo.resident, named("siti_draft", "siti_submitted", "siti_issued"), set()),
        "other resident": (
            demo.other_resident,
            named("budi_draft", "budi_submitted", "budi_other_agency"),
            set(),
        ),
        "officer": (demo.officer("dpmptsp"), named("siti_submitted"), named("siti_submitted")),
        "supervisor": (demo.supervisor("dpmptsp"), named("siti_submitted"), set()),
        "officer of another agency": (
            demo.officer("dbpr"),
            named("siti_issued", "budi_submitted"),
            named("budi_submitted"),
        ),
        "admin": (demo.admin, submitted, set()),
    }
    for role, (account, expected, queued) in callers.items():
        headers = await login(client, account.username, account.password) if account else {}
        listed = await ids_of_pages(client, APPLICATIONS, headers)
        assert listed == expected, role
        fetched = await fetchable(client, APPLICATIONS + "/{}", everything, headers)
        assert fetched == listed, role
        assert await ids_of_pages(client, "/api/v1/permits/queue", headers) == queued, role
        if ids["siti_submitted"] in fetched:
            detail = await client.get(f"{APPLICATIONS}/{ids['siti_submitted']}", headers=headers)
            notes = [entry["note"] for entry in detail.json()["timeline"]]
            assert (INTERNAL_NOTE in notes) == (role != "applicant"), role

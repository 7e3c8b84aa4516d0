"""One access rule for announcements: as every role, the announcements listed, fetched one by
one and found by search are the same, and exactly the published unexpired ones (drafts,
expired ones and other agencies' in the fixture set); writers reach their own by id."""

import datetime as dt

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.db import utcnow
from backend.information import search
from backend.information.models import Announcement, AnnouncementCategory, SearchKind
from backend.region.models import Agency
from tests.backend.helpers import client_credentials, fetchable, ids_of_pages, login

ANNOUNCEMENTS = "/api/v1/announcements"
WORD = "jembatan"  # in every fixture announcement's title, so search finds them all if visible


def _announce(
    session: Session, agency: Agency, author: User, *, published: dt.timedelta, **fields
) -> Announcement:
    now = utcnow()
    announcement = Announcement(
        agency_id=agency.id,
        category=AnnouncementCategory.ANNOUNCEMENT,
        title_id=f"Perbaikan {WORD} {agency.code}",
        title_en=f"Bridge repair {agency.code}",
        body_id="Lalu lintas dialihkan.",
        body_en="Traffic is diverted.",
        publish_at=now + published,
        author_id=author.id,
        **fields,
    )
    session.add(announcement)
    session.flush()
    search.index_announcement(session, announcement)
    return announcement


async def test_every_role_reads_exactly_the_published_announcements(client, session, demo):
    agencies = {agency.code: agency for agency in session.exec(select(Agency))}
    road, waste = agencies["dbmsda"], agencies["dlh"]
    author = session.exec(select(User).where(User.full_name == demo.admin.full_name)).one()
    hour = dt.timedelta(hours=1)
    made = {
        "published": _announce(session, road, author, published=-hour),
        "pinned_other_agency": _announce(session, waste, author, published=-hour, pinned=True),
        "expiring_later": _announce(
            session, road, author, published=-hour, expires_at=utcnow() + hour
        ),
        "draft": _announce(session, road, author, published=hour),
        "expired": _announce(
            session, waste, author, published=-2 * hour, expires_at=utcnow() - hour
        ),
    }
    session.commit()
    ids = {name: announcement.id for name, announcement in made.items()}
    everything = set(ids.values())
    published = everything - {ids["draft"], ids["expired"]}

    admin = await login(client, demo.admin.username, demo.admin.password)
    callers = {
        "anonymous": {},
        "resident": await login(client, demo.resident.username, demo.resident.password),
        "officer": await login(client, *_credentials(demo.officer("dbmsda"))),
        "supervisor": await login(client, *_credentials(demo.supervisor("dbmsda"))),
        "supervisor of another agency": await login(client, *_credentials(demo.supervisor("dlh"))),
        "admin": admin,
        "integrator client": await client_credentials(client, admin, scopes="information:read"),
    }
    for role, headers in callers.items():
        listed = await ids_of_pages(client, ANNOUNCEMENTS, headers)
        assert listed == published, role
        assert await fetchable(client, ANNOUNCEMENTS + "/{}", everything, headers) == listed, role
        found = (await client.get("/api/v1/search", params={"q": WORD}, headers=headers)).json()
        hits = {hit["id"] for hit in found["items"] if hit["kind"] == SearchKind.ANNOUNCEMENT}
        assert hits == listed, role

    # Writers reach by id what they may change, drafts and expired ones included.
    road_ids = {ids["published"], ids["expiring_later"], ids["draft"]}
    writers = {
        "admin": (admin, everything),
        "supervisor": (callers["supervisor"], road_ids),
        "supervisor of another agency": (
            callers["supervisor of another agency"],
            everything - road_ids,
        ),
    }
    for role, (headers, writable) in writers.items():
        changed = set()
        for announcement_id in everything:
            response = await client.patch(
                f"{ANNOUNCEMENTS}/{announcement_id}", json={}, headers=headers
            )
            assert response.status_code in (200, 403), (role, response.text)
            if response.status_code == 200:
                changed.add(announcement_id)
        assert changed == writable, role


def _credentials(account) -> tuple[str, str]:
    return account.username, account.password

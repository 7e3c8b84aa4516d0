"""Realistic test data: many complaints (and permit applications) in the demo city, for
benchmarks and trying the queues.

Rows are written in batches with plain INSERTs (no ORM objects), so a million take minutes, not
hours. Each complaint gets its filing event, a deadline from the region's calendar, and a status
drawn from a mix like a real city's: most of the backlog open, the rest done. Permit applications
arrive submitted and waiting on their first review step. On PostgreSQL the planner's statistics
are refreshed (ANALYZE) afterwards, as autovacuum would do a while later.
"""

import datetime as dt
import random
from collections.abc import Callable

from sqlalchemy import func, insert, text
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.complaints.deadlines import region_clock
from backend.complaints.models import Complaint, ComplaintEvent, tracking_number
from backend.db import utcnow
from backend.permits import deadlines
from backend.permits.models import PermitApplication, PermitEvent
from backend.permits.numbering import next_registration_number
from backend.region.models import ComplaintCategory, PermitType
from backend.region.service import complaint_deadlines, region_snapshot
from backend.stats import tallies
from shared.complaints import ComplaintStatus
from shared.permits import PermitStatus
from shared.roles import Role
from shared.workdays import to_local_date

BATCH = 5000
SPREAD_DAYS = 90  # filed over the last three months

_STATUS_MIX = [
    (ComplaintStatus.SUBMITTED, 30),
    (ComplaintStatus.VERIFIED, 20),
    (ComplaintStatus.IN_PROGRESS, 20),
    (ComplaintStatus.RESOLVED, 10),
    (ComplaintStatus.CLOSED, 15),
    (ComplaintStatus.REJECTED, 5),
]
_PROBLEMS = [
    "Lubang di jalan",
    "Saluran air tersumbat",
    "Sampah menumpuk",
    "Lampu jalan mati",
    "Rambu roboh",
    "Parkir liar",
    "Pohon tumbang",
    "Trotoar rusak",
]
_STREETS = ["Jl. Pahlawan", "Jl. Merdeka", "Jl. Kenanga", "Jl. Raya Serpong", "Jl. Melati"]


def generate_complaints(
    session: Session,
    *,
    count: int,
    seed: int = 2026,
    reporters: list[int] | None = None,
    on_progress: Callable[[int], None] = lambda done: None,
) -> None:
    """Insert `count` complaints filed by `reporters` (default: every resident account)."""
    rng = random.Random(seed)
    region = region_snapshot(session)
    now = utcnow()
    clock = region_clock(session, region=region, around=now)
    categories = list(session.exec(select(ComplaintCategory).where(col(ComplaintCategory.active))))
    verify_days = {
        c.id: complaint_deadlines(region=region, category=c).verify_working_days for c in categories
    }
    reporters = reporters or list(session.exec(select(User.id).where(User.role == Role.RESIDENT)))
    statuses, weights = zip(*_STATUS_MIX, strict=True)
    box = region.bounding_box
    # Ids are given explicitly, so the tracking numbers can be written in the same INSERT.
    next_id = (session.exec(select(func.max(Complaint.id))).one() or 0) + 1
    done = 0
    while done < count:
        complaints, events = [], []
        for complaint_id in range(next_id + done, next_id + min(count, done + BATCH)):
            category = rng.choice(categories)
            created = now - dt.timedelta(seconds=rng.uniform(0, SPREAD_DAYS * 86400))
            status = rng.choices(statuses, weights)[0]
            problem, street = rng.choice(_PROBLEMS), rng.choice(_STREETS)
            address = f"{street} No. {rng.randint(1, 200)}"
            resolved = None
            if status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
                resolved = min(now, created + dt.timedelta(days=rng.uniform(0.1, 14)))
            complaints.append(
                {
                    "id": complaint_id,
                    "tracking_number": tracking_number(
                        year=clock.local_date(created).year, complaint_id=complaint_id
                    ),
                    "reporter_id": rng.choice(reporters),
                    "category_id": category.id,
                    "agency_id": category.agency_id,
                    "status": status,
                    "title": f"{problem} di {street}",
                    "description": f"{problem} di {address}, mohon segera ditangani.",
                    "address": address,
                    "latitude": rng.uniform(box.min_lat, box.max_lat),
                    "longitude": rng.uniform(box.min_lon, box.max_lon),
                    "answers": {},
                    "anonymous": rng.random() < 0.2,
                    "confidential": rng.random() < 0.05,
                    "due_date": clock.due_after(created, verify_days[category.id]),
                    "resolved_at": resolved,
                    "resolution_working_days": (
                        clock.working_days_taken(filed=created, resolved=resolved, paused=0)
                        if resolved
                        else None
                    ),
                    "rating": rng.choice([None, None, 3, 4, 4, 5]) if resolved else None,
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                }
            )
            events.append(
                {
                    "complaint_id": complaint_id,
                    "actor_id": complaints[-1]["reporter_id"],
                    "actor_role": Role.RESIDENT,
                    "action": "file",
                    "to_status": ComplaintStatus.SUBMITTED,
                    "public": True,
                    "details": {},
                    "created_at": created,
                }
            )
        session.execute(insert(Complaint), complaints)
        session.execute(insert(ComplaintEvent), events)
        done += len(complaints)
        on_progress(done)
    tallies.rebuild(session)  # the rows went around the ORM, which keeps them on write
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the id sequence behind; move it past them.
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('complaint', 'id'), max(id)) FROM complaint")
        )
    analyze(session)


def generate_permit_applications(
    session: Session, *, count: int, seed: int = 2026, applicants: list[int] | None = None
) -> None:
    """Insert `count` submitted applications of the region's permit types, each filed by one of
    `applicants` (default: every resident account) within the last month."""
    rng = random.Random(seed)
    region = region_snapshot(session)
    now = utcnow()
    today = to_local_date(now, region.time_zone)
    calendar = deadlines.calendar_around(session, today)
    permit_types = list(session.exec(select(PermitType)))
    applicants = applicants or list(session.exec(select(User.id).where(User.role == Role.RESIDENT)))
    for _ in range(count):
        permit_type = rng.choice(permit_types)
        submitted = now - dt.timedelta(seconds=rng.uniform(0, 30 * 86400))
        application = PermitApplication(
            registration_number=next_registration_number(session, today.year),
            permit_type_id=permit_type.id,
            agency_id=permit_type.agency_id,
            applicant_id=rng.choice(applicants),
            status=PermitStatus.SUBMITTED,
            step_role=permit_type.review_steps()[0].role,
            submitted_at=submitted,
            due_on=deadlines.due_date(
                calendar,
                submitted_on=to_local_date(submitted, region.time_zone),
                working_days=permit_type.deadline_working_days,
            ),
            created_at=submitted,
            updated_at=submitted,
        )
        session.add(application)
        session.flush()
        session.add(
            PermitEvent(
                application_id=application.id,
                actor_id=application.applicant_id,
                actor_role=Role.RESIDENT,
                action="submit",
                from_status=PermitStatus.DRAFT,
                to_status=PermitStatus.SUBMITTED,
                created_at=submitted,
            )
        )
    session.flush()
    analyze(session)


def analyze(session: Session) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk insert (SQLite plans without them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))

"""Stats fixtures: complaints and permits written straight into the tables, with known dates.

Complaints go in with a bulk INSERT, as an import would, so the Life Room's tallies are rebuilt
from them afterwards; ``test_stats_tallies`` checks that the tallies kept on write agree.
"""

import datetime as dt

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.complaints.deadlines import region_clock
from backend.complaints.models import Complaint, ComplaintPause
from backend.permits.models import PermitApplication
from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.region.service import region_snapshot
from backend.stats import tallies
from shared.roles import Role

ROAD_SPOT = (-6.30, 106.70)
WASTE_SPOT = (-6.20, 106.80)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class Seeder:
    """Writes complaints and permits with the dates a test needs."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.reporter_id = session.exec(select(User.id).where(User.role == Role.RESIDENT)).first()
        self.categories = {c.code: c for c in session.exec(select(ComplaintCategory))}
        region = region_snapshot(session)
        self.clock = region_clock(session, region=region, around=utc("2026-02-01T00:00"))
        self.count = 0

    def complaint_values(
        self,
        category: str,
        *,
        created: str,
        due: str,
        status: str = "submitted",
        resolved: str | None = None,
        rating: int | None = None,
        confidential: bool = False,
        paused: int = 0,
    ) -> dict:
        """One complaint's columns; `paused`: working days its clock stood still."""
        self.count += 1
        row = self.categories[category]
        taken = None
        if resolved:
            taken = self.clock.working_days_taken(
                filed=utc(created), resolved=utc(resolved), paused=paused
            )
        latitude, longitude = ROAD_SPOT if category == "jalan-rusak" else WASTE_SPOT
        return {
            "tracking_number": f"ADU-2026-{self.count:06d}",
            "reporter_id": self.reporter_id,
            "category_id": row.id,
            "agency_id": row.agency_id,
            "status": status,
            "title": "Judul pribadi",
            "description": "Keterangan pribadi pelapor",
            "address": "Rumah pelapor",
            "latitude": latitude + 0.0001234,
            "longitude": longitude + 0.0004321,
            "answers": {},
            "confidential": confidential,
            "due_date": dt.date.fromisoformat(due),
            "resolved_at": utc(resolved) if resolved else None,
            "resolution_working_days": taken,
            "rating": rating,
            "created_at": utc(created),
            "updated_at": utc(created),
            "version": 1,
            "paused": paused,
        }

    def complaints(self, rows: list[dict]) -> list[int]:
        paused = [row.pop("paused") for row in rows]
        result = self.session.exec(insert(Complaint).returning(Complaint.id), params=rows)
        ids = [row[0] for row in result]
        for complaint_id, working_days in zip(ids, paused, strict=True):
            if working_days:
                self.session.add(
                    ComplaintPause(
                        complaint_id=complaint_id,
                        started_at=utc("2026-02-12T02:00:00"),
                        ended_at=utc("2026-02-13T02:00:00"),
                        working_days=working_days,
                    )
                )
        tallies.rebuild(self.session)
        self.session.commit()
        return ids

    def issued_permit(self, permit_type: str, *, issued: str) -> None:
        kind = self.session.exec(select(PermitType).where(PermitType.code == permit_type)).one()
        self.count += 1
        self.session.add(
            PermitApplication(
                registration_number=f"IZN-2026-{self.count:06d}",
                permit_type_id=kind.id,
                agency_id=kind.agency_id,
                applicant_id=self.reporter_id,
                status="issued",
                permit_number=f"503/{self.count:04d}/2026",
                issued_at=utc(issued),
                valid_from=utc(issued).date(),
                valid_until=utc(issued).date() + dt.timedelta(days=365),
                verification_code=f"code-{self.count}",
            )
        )
        self.session.commit()

    def agency_id(self, code: str) -> int:
        return self.session.exec(select(Agency.id).where(Agency.code == code)).one()


@pytest.fixture
def seeder(session, demo) -> Seeder:
    return Seeder(session)

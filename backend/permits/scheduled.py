"""The permits' daily job: expire permits past their last day, remind holders to renew."""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from backend.db import utcnow
from backend.notifications.service import Message, notify
from backend.permits.models import PermitApplication
from backend.permits.queries import local_today
from backend.permits.transitions import take
from backend.region.models import PermitType
from shared.permits import PermitStatus

# Renewable permits: the holder is reminded this many days before the last valid day.
REMINDER_DAYS = (30, 7)

_S = PermitStatus


@dataclass(frozen=True)
class DailyReport:
    expired: int
    reminded: int


def run_daily(session: Session, *, now: dt.datetime | None = None) -> DailyReport:
    """Expire permits past their last day and remind holders of renewable permits.

    Reminders go out 30 and 7 days before the last valid day, each at most once: the smallest
    threshold reminded of is stored, and a run that missed the 30-day one sends only the 7-day
    one. Rows are locked as they are handled (skipping rows another run holds on PostgreSQL),
    so two runs at once do not expire or remind twice.
    """
    now = now or utcnow()
    _, today = local_today(session, now)
    lapsed = session.exec(
        select(PermitApplication, PermitType)
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .where(PermitApplication.status == _S.ISSUED, col(PermitApplication.valid_until) < today)
        .with_for_update(skip_locked=True, of=PermitApplication)
    ).all()
    for application, permit_type in lapsed:
        take(
            session,
            application=application,
            permit_type=permit_type,
            actor=None,
            action="expire",
            now=now,
        )
    expiring = session.exec(
        select(PermitApplication, PermitType)
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .where(
            PermitApplication.status == _S.ISSUED,
            col(PermitType.renewable),
            col(PermitApplication.valid_until) >= today,
            col(PermitApplication.valid_until) <= today + dt.timedelta(days=max(REMINDER_DAYS)),
        )
        .with_for_update(skip_locked=True, of=PermitApplication)
    ).all()
    reminded = 0
    for application, permit_type in expiring:
        assert application.valid_until is not None  # selected by it
        days_left = (application.valid_until - today).days
        threshold = min(days for days in REMINDER_DAYS if days >= days_left)
        already = application.reminded_days_before
        if already is not None and already <= threshold:
            continue
        _remind(session, application=application, permit_type=permit_type, days_left=days_left)
        application.reminded_days_before = threshold
        session.add(application)
        reminded += 1
    session.flush()
    return DailyReport(expired=len(lapsed), reminded=reminded)


def _remind(
    session: Session, *, application: PermitApplication, permit_type: PermitType, days_left: int
) -> None:
    assert application.valid_until is not None  # only permits that end are reminded
    until = application.valid_until.isoformat()
    notify(
        session,
        user_ids=[application.applicant_id],
        kind="permit.expiry_reminder",
        message=Message(
            title_id=f"Izin {application.permit_number} berakhir dalam {days_left} hari",
            title_en=f"Permit {application.permit_number} expires in {days_left} days",
            body_id=f"{permit_type.name.id} berlaku sampai {until}. Ajukan perpanjangan di Warga.",
            body_en=f"{permit_type.name.en} is valid until {until}. Apply to renew it in Warga.",
        ),
        subject_type="permit",
        subject_id=application.id,
    )

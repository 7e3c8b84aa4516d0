"""Working-day deadlines: the national calendar, the region's own holidays, pauses, overdue.

The demo region makes 26 November 2026 (a Thursday) a holiday: the city's anniversary.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from backend.accounts.models import User
from backend.complaints import queries, service, views
from backend.complaints.models import Complaint, ComplaintPause
from backend.complaints.queries import QueueFilters
from backend.complaints.schemas import ComplaintCreate, Deadline, ForwardInput
from tests.backend.complaints.complaint_helpers import complaint_body

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: int, month: int = 11, hour: int = 10) -> dt.datetime:
    """A moment in 2026, Jakarta time."""
    return dt.datetime(2026, month, day, hour, tzinfo=JAKARTA)


@pytest.fixture
def people(session, demo) -> dict[str, User]:
    by_email = {u.email: u for u in session.exec(select(User))}
    return {
        "resident": by_email[demo.resident.username],
        "officer": by_email[demo.officer("dbmsda").username],
    }


def _file(session, people, when: dt.datetime, **changes) -> Complaint:
    data = ComplaintCreate(**complaint_body(**changes))
    return service.file_complaint(session, reporter=people["resident"], data=data, now=when)


def _deadline(session, complaint: Complaint, now: dt.datetime):
    clock = service.clock_for(session, now=now)
    pauses = session.exec(
        select(ComplaintPause).where(ComplaintPause.complaint_id == complaint.id)
    ).all()
    return Deadline.model_validate(views.deadline(complaint, list(pauses), clock=clock, now=now))


def test_the_verify_deadline_skips_the_weekend_and_the_citys_holiday(session, people):
    # Wednesday 25 Nov + 3 working days: Fri 27, Mon 30, Tue 1 Dec (Thu 26 is a holiday).
    complaint = _file(session, people, at(25))
    assert complaint.due_date == dt.date(2026, 12, 1)
    assert complaint.tracking_number.startswith("ADU-2026-")


def test_a_category_may_shorten_the_deadline(session, people):
    flood = _file(
        session, people, at(25), category="banjir-drainase", answers={"kedalaman_air": "selutut"}
    )
    assert flood.due_date == dt.date(2026, 11, 27)  # 1 working day, the holiday skipped


def test_a_pause_moves_the_deadline_by_its_working_days(session, people):
    complaint = _file(session, people, at(25))
    service.verify(session, complaint=complaint, actor=people["officer"], note=None, now=at(30))
    # Monday 30 Nov + 5 working days: 1, 2, 3, 4 and 7 December.
    assert complaint.due_date == dt.date(2026, 12, 7)

    service.request_info(
        session, complaint=complaint, actor=people["officer"], question="Foto lain?", now=at(1, 12)
    )
    paused = _deadline(session, complaint, now=at(9, 12))
    assert paused.clock_paused and not paused.overdue  # a paused clock is never overdue

    service.provide_info(
        session, complaint=complaint, actor=people["resident"], answer="Terlampir.", now=at(4, 12)
    )
    # Paused Tuesday 1 to Friday 4 December: 3 working days, so 7 December becomes 10 December.
    assert complaint.status == "verified"
    assert complaint.due_date == dt.date(2026, 12, 10)
    shown = _deadline(session, complaint, now=at(10, 12))
    assert shown.due_date == dt.date(2026, 12, 10) and not shown.overdue
    assert [(p.working_days, p.ended_at is not None) for p in shown.pauses] == [(3, True)]
    assert _deadline(session, complaint, now=at(11, 12)).overdue


def test_a_pause_over_the_holiday_counts_only_working_days(session, people):
    complaint = _file(session, people, at(23))  # Monday: due Thu 26 is a holiday, so Fri 27
    assert complaint.due_date == dt.date(2026, 11, 27)
    service.verify(session, complaint=complaint, actor=people["officer"], note=None, now=at(24))
    due = complaint.due_date
    service.request_info(
        session, complaint=complaint, actor=people["officer"], question="?", now=at(25)
    )
    service.provide_info(
        session, complaint=complaint, actor=people["resident"], answer="!", now=at(30)
    )
    # Wed 25 to Mon 30 November: Fri 27 and Mon 30 count; Thu 26 and the weekend do not.
    pause = session.exec(select(ComplaintPause)).one()
    assert pause.working_days == 2
    clock = service.clock_for(session, now=at(30))
    assert complaint.due_date == clock.calendar.add_working_days(due, 2)


def test_forwarding_restarts_the_verify_deadline(session, people):
    complaint = _file(session, people, at(23))
    service.forward(
        session,
        complaint=complaint,
        actor=people["officer"],
        data=ForwardInput(agency="dlh", reason="Sampah"),
        now=at(30),
    )
    assert complaint.due_date == dt.date(2026, 12, 3)  # Monday 30 Nov + 3 working days


def test_the_queue_filters_overdue_and_due_soon_and_orders_by_deadline(session, people):
    late = _file(session, people, at(16))  # due Thu 19 Nov
    soon = _file(session, people, at(25))  # due Tue 1 Dec
    later = _file(session, people, at(27))  # due Wed 2 Dec
    session.commit()
    now = at(30)  # Monday 30 November
    clock = service.clock_for(session, now=now)

    def queue(**filters) -> list[int]:
        rows, _ = queries.agency_queue(
            session,
            staff=people["officer"],
            filters=QueueFilters(**filters),
            clock=clock,
            now=now,
            cursor=None,
            limit=20,
        )
        return [row.id for row in rows]

    assert queue() == [late.id, soon.id, later.id]
    first, cursor = queries.agency_queue(
        session,
        staff=people["officer"],
        filters=QueueFilters(),
        clock=clock,
        now=now,
        cursor=None,
        limit=2,
    )
    rest, end = queries.agency_queue(
        session,
        staff=people["officer"],
        filters=QueueFilters(),
        clock=clock,
        now=now,
        cursor=cursor,
        limit=2,
    )
    assert ([c.id for c in first], [c.id for c in rest], end) == (
        [late.id, soon.id],
        [later.id],
        None,
    )
    assert queue(due="overdue") == [late.id]
    assert queue(due="due_soon") == [soon.id]  # due today or the next working day
    assert _deadline(session, late, now).overdue
    assert not _deadline(session, soon, now).overdue
    # Each line carries the same badges the filters use.
    assert [
        (d.overdue, d.due_soon) for d in (_deadline(session, c, now) for c in (late, soon, later))
    ] == [
        (True, False),
        (False, True),
        (False, False),
    ]

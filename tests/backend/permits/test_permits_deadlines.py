"""The statutory clock in working days: it starts at submission, stops while the applicant is
asked for information, and the due date moves by exactly the working days the pause lasted.

The demo city's calendar has its anniversary (26 November 2026, a Thursday) as an extra
holiday, so a pause from Wednesday 25 to Monday 30 November spans a holiday and a weekend.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from backend.accounts.models import User
from backend.permits import drafting, queries, workflow
from backend.permits.schemas import ApplicationSummary
from backend.permits.views import ApplicationViews
from backend.uploads import Document
from tests.backend.permits.conftest import ANSWERS

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: str, time: str = "10:00") -> dt.datetime:
    """A moment in the city's local time, as the aware datetime the service expects."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=JAKARTA)


@pytest.fixture
def people(session, demo):
    def user(account) -> User:
        return session.exec(select(User).where(User.email == account.username)).one()

    return user(demo.resident), user(demo.officer("dpmptsp"))


def submitted_billboard(session, resident: User, when: dt.datetime):
    application = drafting.create_draft(
        session,
        applicant=resident,
        permit_type_code="izin-reklame",
        answers=ANSWERS["izin-reklame"],
        language="en",
        now=when,
    )
    permit_type = queries.permit_type_of(session, application)
    for kind in permit_type.document_kinds():
        drafting.save_document(
            session,
            application=application,
            kind=kind.code,
            document=Document(data=b"%PDF-", media_type="application/pdf", pages=1),
            file_key="0" * 64,
            file_name=f"{kind.code}.pdf",
            now=when,
        )
    return workflow.submit(session, application=application, user=resident, language="en", now=when)


def test_the_due_date_moves_by_the_paused_working_days_across_a_holiday_and_a_weekend(
    session, people
):
    resident, officer = people
    application = submitted_billboard(session, resident, at("2026-11-23"))  # a Monday
    # 7 working days: 24, 25, (26 is the anniversary), 27, 30 Nov, 1, 2, 3 Dec.
    assert application.due_on == dt.date(2026, 12, 3)

    workflow.claim(session, application=application, user=officer, now=at("2026-11-24"))
    workflow.request_information(
        session,
        application=application,
        user=officer,
        note="Unggah desain terbaru.",
        fields=[],
        documents=["desain-reklame"],
        now=at("2026-11-25"),
    )
    views = ApplicationViews(session, base_url="http://testserver", now=at("2026-11-27"))
    waiting = views.detail_after(application, viewer=resident)
    assert waiting.deadline.paused and not waiting.deadline.overdue
    assert waiting.deadline.pauses[0].paused_on == dt.date(2026, 11, 25)

    workflow.resubmit(
        session, application=application, user=resident, language="en", now=at("2026-11-30")
    )
    # Paused working days: 27 and 30 November (26 is a holiday, 28-29 the weekend).
    assert application.paused_working_days == 2
    assert application.due_on == dt.date(2026, 12, 7)
    detail = ApplicationViews(session, base_url="http://t", now=at("2026-11-30")).detail_after(
        application, viewer=resident
    )
    assert [p.model_dump() for p in detail.deadline.pauses] == [
        {"paused_on": dt.date(2026, 11, 25), "resumed_on": dt.date(2026, 11, 30), "working_days": 2}
    ]
    assert detail.deadline.due_on == dt.date(2026, 12, 7)
    assert detail.deadline.working_days_left == 5
    assert detail.timeline[-1].details == {"paused_working_days": 2, "due_on": "2026-12-07"}


def test_a_pause_over_a_weekend_only_costs_no_working_day(session, people):
    resident, officer = people
    application = submitted_billboard(session, resident, at("2026-11-23"))
    workflow.claim(session, application=application, user=officer, now=at("2026-11-24"))
    workflow.request_information(
        session,
        application=application,
        user=officer,
        note="Lengkapi ukuran.",
        fields=["lebar_m"],
        documents=[],
        now=at("2026-11-27", "15:00"),  # Friday afternoon
    )
    workflow.resubmit(
        session,
        application=application,
        user=resident,
        language="en",
        now=at("2026-11-29", "20:00"),
    )  # Sunday evening
    assert application.paused_working_days == 0
    assert application.due_on == dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    ("today", "left", "due_soon", "overdue"),
    [
        ("2026-11-30", 3, False, False),
        ("2026-12-01", 2, True, False),
        ("2026-12-03", 0, True, False),
        ("2026-12-04", -1, False, True),
    ],
)
def test_items_are_flagged_due_soon_and_overdue_in_working_days(
    session, people, today, left, due_soon, overdue
):
    resident, _ = people
    application = submitted_billboard(session, resident, at("2026-11-23"))
    views = ApplicationViews(session, base_url="http://t", now=at(today))
    summary = ApplicationSummary.model_validate(views.summary(application))
    assert (summary.due_soon, summary.overdue) == (due_soon, overdue)
    assert views.detail_after(application, viewer=resident).deadline.working_days_left == left


def test_the_queue_puts_the_most_urgent_first(session, people):
    resident, officer = people
    later = submitted_billboard(session, resident, at("2026-11-25"))
    sooner = submitted_billboard(session, resident, at("2026-11-23"))
    queue, _ = queries.review_queue(session, user=officer, cursor=None, limit=10)
    assert [a.id for a in queue] == [sooner.id, later.id]

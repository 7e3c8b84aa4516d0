"""The Life Room's tallies, kept on every complaint write, agree with a rebuild from scratch."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.complaints import service
from backend.complaints.models import Complaint
from backend.complaints.schemas import (
    ComplaintCreate,
    DuplicateInput,
    ForwardInput,
    RatingInput,
    RejectInput,
    RejectionReason,
)
from backend.errors import Conflict
from backend.stats import tallies
from backend.stats.models import TALLIES, FiledTally, ResolutionTally, RunningTally
from tests.backend.stats.conftest import utc

ANSWERS = {
    "jalan-rusak": {"ukuran_lubang": "besar", "membahayakan": True},
    "sampah": {"jenis_lokasi": "tps"},
}


def _complaint(category: str = "jalan-rusak") -> ComplaintCreate:
    return ComplaintCreate(
        category=category,
        title="Lubang besar di Jl. Pahlawan",
        description="Lubang sedalam 20 cm di lajur kiri, dekat halte bus.",
        latitude=-6.2901,
        longitude=106.7163,
        answers=ANSWERS[category],
    )


def _user(session: Session, account) -> User:
    return session.exec(select(User).where(User.email == account.username)).one()


def _tally_rows(session: Session) -> dict:
    """Every tally row that counts something, as {(table, key...): counts}."""
    rows = {}
    for tally in TALLIES:
        columns = list(tally.__table__.columns)
        keys = [c for c in columns if c.primary_key]
        for row in session.exec(select(*columns)):
            values = row._mapping
            counts = tuple(values[c.name] for c in columns if not c.primary_key)
            if any(counts):
                rows[(tally.__tablename__, *(str(values[c.name]) for c in keys))] = counts
    return rows


def _assert_same_as_rebuilt(session: Session) -> dict:
    kept = _tally_rows(session)
    tallies.rebuild(session)
    assert kept == _tally_rows(session)
    session.rollback()  # keep what was kept on write, for the caller's further checks
    return kept


def at(day: str, hour: int = 2) -> dt.datetime:
    """A moment in February 2026 (UTC; 02:00 UTC is 09:00 in Jakarta)."""
    return utc(f"2026-02-{day}T{hour:02d}:00")


def test_every_action_keeps_the_tallies_equal_to_a_rebuild(session, demo):
    resident = _user(session, demo.resident)
    road = _user(session, demo.officer("dbmsda"))
    waste = _user(session, demo.officer("dlh"))

    def file(day: str, category: str = "jalan-rusak") -> Complaint:
        return service.file_complaint(
            session, reporter=resident, data=_complaint(category), now=at(day)
        )

    # Filed Monday 2 Feb; the reporter took Thursday, Friday and Monday to answer; resolved,
    # reopened, and resolved again on Wednesday 18 Feb (16 and 17 Feb are holidays).
    answered = file("02")
    service.verify(session, complaint=answered, actor=road, note=None, now=at("03"))
    service.request_info(session, complaint=answered, actor=road, question="Di mana?", now=at("04"))
    service.provide_info(session, complaint=answered, actor=resident, answer="Depan", now=at("09"))
    service.start_work(session, complaint=answered, actor=road, note=None, now=at("10"))
    service.resolve(session, complaint=answered, actor=road, note="Ditambal.", now=at("11"))
    assert answered.resolution_working_days == 7 - 3
    service.rate(
        session, complaint=answered, actor=resident, data=RatingInput(rating=2), now=at("12")
    )
    service.reopen(
        session, complaint=answered, actor=resident, reason="Retak lagi", now=at("12", 5)
    )
    assert answered.resolution_working_days is None
    service.resolve(session, complaint=answered, actor=road, note="Diaspal.", now=at("18"))
    assert answered.resolution_working_days == 10 - 3
    service.close(session, complaint=answered, actor=None, now=at("25"))

    forwarded = file("03")
    service.forward(
        session,
        complaint=forwarded,
        actor=road,
        data=ForwardInput(agency="dlh", reason="Sampah"),
        now=at("04"),
    )
    service.verify(session, complaint=forwarded, actor=waste, note=None, now=at("05"))
    service.resolve(session, complaint=forwarded, actor=waste, note="Diangkut.", now=at("06"))
    service.rate(
        session, complaint=forwarded, actor=resident, data=RatingInput(rating=5), now=at("07")
    )

    spam = file("04", "sampah")
    service.reject(
        session,
        complaint=spam,
        actor=waste,
        data=RejectInput(reason=RejectionReason.SPAM, note="Iklan."),
        now=at("05"),
    )
    original, copy = file("05"), file("06")
    service.mark_duplicate(
        session,
        complaint=copy,
        actor=road,
        data=DuplicateInput(original=original.tracking_number),
        now=at("06", 4),
    )
    waiting = file("09")
    service.verify(session, complaint=waiting, actor=road, note=None, now=at("09", 4))
    service.request_info(session, complaint=waiting, actor=road, question="Foto?", now=at("10"))
    session.commit()

    kept = _assert_same_as_rebuilt(session)
    road_id, waste_id = road.agency_id, waste.agency_id
    filed = {key[1:]: counts for key, counts in kept.items() if key[0] == FiledTally.__tablename__}
    # (complaints, resolved, resolved_on_time, rating_sum, ratings), by filing day and status.
    category = str(answered.category_id)
    # Resolved again within the follow-up deadline the reopening set; its first rating stays.
    assert filed[("2026-02-02", str(road_id), category, "closed")] == (1, 1, 1, 2, 1)
    assert filed[("2026-02-03", str(waste_id), category, "resolved")] == (1, 1, 1, 5, 1)
    assert filed[("2026-02-05", str(road_id), category, "submitted")] == (1, 0, 0, 0, 0)
    running = [key for key in kept if key[0] == RunningTally.__tablename__]
    assert len(running) == 1  # only the original runs: the others are done or paused
    resolution = [key for key in kept if key[0] == ResolutionTally.__tablename__]
    assert sorted(key[-1] for key in resolution) == ["3", "7"]  # Tuesday to Friday


def test_a_failed_action_leaves_the_tallies_alone(session, demo):
    resident = _user(session, demo.resident)
    complaint = service.file_complaint(session, reporter=resident, data=_complaint(), now=at("02"))
    session.commit()
    before = _tally_rows(session)
    road = _user(session, demo.officer("dbmsda"))
    service.verify(session, complaint=complaint, actor=road, note=None, now=at("03"))
    session.rollback()
    assert _tally_rows(session) == before
    with pytest.raises(Conflict):  # a resident may not resolve
        service.resolve(session, complaint=complaint, actor=resident, note="Sudah.", now=at("03"))
    session.commit()
    assert _tally_rows(session) == before


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_writes_lose_no_count(engine, session, demo):
    """Filings and actions from many connections at once, all on the same tally rows."""
    resident_id = _user(session, demo.resident).id
    officer_id = _user(session, demo.officer("dbmsda")).id

    def file_and_verify(number: int) -> None:
        with Session(engine) as own:
            reporter, officer = own.get(User, resident_id), own.get(User, officer_id)
            complaint = service.file_complaint(
                own, reporter=reporter, data=_complaint(), now=at("02")
            )
            own.commit()
            if number % 2:
                service.verify(own, complaint=complaint, actor=officer, note=None, now=at("03"))
                own.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(file_and_verify, range(40)))
    kept = _assert_same_as_rebuilt(session)
    counts = [c for key, c in kept.items() if key[0] == FiledTally.__tablename__]
    assert sorted(c[0] for c in counts) == [20, 20]  # submitted, verified


def test_a_change_to_a_complaint_not_loaded_yet_moves_its_stored_share(engine, session, demo):
    """Setting a column of an expired complaint, without reading it first, still takes away
    what the stored row counted (the attribute loads the value it replaces)."""
    resident = _user(session, demo.resident)
    filed = service.file_complaint(session, reporter=resident, data=_complaint(), now=at("02"))
    session.commit()
    with Session(engine) as other:  # expires everything it loaded at each commit
        complaint = other.get(Complaint, filed.id)
        other.commit()
        complaint.due_date = dt.date(2026, 3, 2)
        other.commit()
    kept = _assert_same_as_rebuilt(session)
    running = [key for key in kept if key[0] == RunningTally.__tablename__]
    assert [key[1] for key in running] == ["2026-03-02"]


def test_the_tallies_are_written_last_just_before_the_commit(engine, session, demo):
    """Their rows are shared by every filing of the day: their locks are taken last."""
    resident = _user(session, demo.resident)
    statements: list[str] = []

    def note(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement.lstrip().split("(")[0].upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        service.file_complaint(session, reporter=resident, data=_complaint(), now=at("02"))
        assert not any("COMPLAINT_TALLY" in s for s in statements)  # not at the flush
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    first = next(i for i, s in enumerate(statements) if "COMPLAINT_TALLY" in s)
    after = statements[first:]
    assert all("COMPLAINT_TALLY" in s or "PG_NOTIFY" in s for s in after), after
    _assert_same_as_rebuilt(session)


def test_a_rolled_back_savepoint_leaves_the_tallies_alone(session, demo):
    resident = _user(session, demo.resident)
    service.file_complaint(session, reporter=resident, data=_complaint(), now=at("02"))
    savepoint = session.begin_nested()
    service.file_complaint(session, reporter=resident, data=_complaint(), now=at("03"))
    savepoint.rollback()
    session.commit()
    kept = _assert_same_as_rebuilt(session)
    filed = [key for key in kept if key[0] == FiledTally.__tablename__]
    assert [key[1] for key in filed] == ["2026-02-02"]

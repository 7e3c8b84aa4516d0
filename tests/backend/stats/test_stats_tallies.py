"""The Life Room's tallies, kept on every complaint write, agree with a rebuild from scratch."""

import asyncio
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func
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
from backend.main import create_app
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
    """What the tallies count, summed per key as the dashboard reads them:
    {(table, key...): counts}, keys that count nothing left out."""
    rows = {}
    for tally in TALLIES:
        table = tally.__table__
        keys = [table.c[name] for name in tally.KEY]
        counts = [c for c in table.columns if c.name not in {"id", "pending", *tally.KEY}]
        summed = select(*keys, *(func.sum(c) for c in counts)).group_by(*keys)
        for row in session.exec(summed):
            if any(row[len(keys) :]):
                rows[(tally.__tablename__, *(str(value) for value in row[: len(keys)]))] = tuple(
                    row[len(keys) :]
                )
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
@pytest.mark.parametrize("folding", [False, True], ids=["alone", "beside-folds"])
def test_concurrent_writes_lose_no_count(engine, session, demo, folding):
    """Filings and actions from many connections at once, all on the same tally rows; and
    meanwhile, folds of those rows one after another."""
    resident_id = _user(session, demo.resident).id
    officer_id = _user(session, demo.officer("dbmsda")).id
    filing = threading.Event()

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

    def keep_folding() -> int:
        folds = 0
        while filing.is_set():
            with Session(engine) as own:
                tallies.fold(own)
                own.commit()
            folds += 1
        return folds

    filing.set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        folder = pool.submit(keep_folding) if folding else None
        list(pool.map(file_and_verify, range(40)))
        filing.clear()
        assert folder is None or folder.result() > 1
    kept = _assert_same_as_rebuilt(session)
    counts = [c for key, c in kept.items() if key[0] == FiledTally.__tablename__]
    assert sorted(c[0] for c in counts) == [20, 20]  # submitted, verified
    tallies.fold(session)
    session.commit()
    assert _tally_rows(session) == kept


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


def _rows_per_table(session: Session) -> dict[str, tuple[int, int]]:
    """{table: (rows, pending rows)}"""
    found = {}
    for tally in TALLIES:
        pending = tally.__table__.c.pending
        rows, waiting = session.exec(
            select(func.count(), func.count().filter(pending.is_(True))).select_from(tally)
        ).one()
        found[tally.__tablename__] = (rows, waiting)
    return found


def test_a_fold_leaves_one_settled_row_per_key_and_the_same_counts(session, demo):
    resident = _user(session, demo.resident)
    road = _user(session, demo.officer("dbmsda"))
    for day in ("02", "02", "03"):
        complaint = service.file_complaint(
            session, reporter=resident, data=_complaint(), now=at(day)
        )
        session.commit()
        service.verify(session, complaint=complaint, actor=road, note=None, now=at(day, 3))
        session.commit()
    filed = FiledTally.__tablename__
    assert _rows_per_table(session)[filed] == (9, 9)  # each write appended its own rows
    counted = _tally_rows(session)

    assert tallies.fold(session) > 0
    session.commit()
    assert _tally_rows(session) == counted
    # Two days, verified: one row each; the "submitted" keys summed to nothing and went.
    assert _rows_per_table(session)[filed] == (2, 0)
    assert tallies.fold(session) == 0  # nothing pending: nothing to do
    _assert_same_as_rebuilt(session)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_filing_does_not_wait_for_another_to_commit_its_tallies(engine, session, demo):
    """Two filings of the same day, agency and category: the first has written its tally rows
    and has not committed yet; the second still commits at once."""
    resident_id = _user(session, demo.resident).id
    first_wrote, let_first_commit = threading.Event(), threading.Event()
    first_thread: list[threading.Thread] = []

    def hold_after_the_tallies(_connection, _cursor, statement, *_args) -> None:
        if threading.current_thread() in first_thread and "complaint_tally" in statement:
            first_wrote.set()
            let_first_commit.wait(10)

    def file() -> None:
        with Session(engine) as own:
            reporter = own.get(User, resident_id)
            service.file_complaint(own, reporter=reporter, data=_complaint(), now=at("02"))
            own.commit()

    event.listen(engine, "after_cursor_execute", hold_after_the_tallies)
    try:
        first_thread.append(threading.Thread(target=file))
        first_thread[0].start()
        assert first_wrote.wait(10)
        second = threading.Thread(target=file)
        second.start()
        second.join(timeout=5)
        waited = second.is_alive()
        let_first_commit.set()
        first_thread[0].join(10)
        second.join(10)
    finally:
        let_first_commit.set()
        event.remove(engine, "after_cursor_execute", hold_after_the_tallies)
    assert not waited, "the second filing waited for the first one's commit"
    _assert_same_as_rebuilt(session)


async def test_the_server_folds_the_pending_rows_in_the_background(
    settings, engine, session, demo, monkeypatch
):
    resident = _user(session, demo.resident)
    for day in ("02", "03"):
        service.file_complaint(session, reporter=resident, data=_complaint(), now=at(day))
        session.commit()
    counted = _tally_rows(session)
    assert _rows_per_table(session)[FiledTally.__tablename__] == (2, 2)
    monkeypatch.setattr(tallies, "FOLD_SECONDS", 0.05)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            await asyncio.sleep(0.05)
            session.rollback()  # a new snapshot
            if _rows_per_table(session)[FiledTally.__tablename__] == (2, 0):
                break
    assert _rows_per_table(session)[FiledTally.__tablename__] == (2, 0)
    assert _tally_rows(session) == counted

"""Periodic jobs on every host at once: each item handled exactly once, a losing run skips
instead of crashing, and a server can run the jobs itself."""

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.complaints.models import Complaint, ComplaintEvent
from backend.database import open_engine
from backend.db import utcnow
from backend.information.models import AgencyFollow, Announcement, AnnouncementCategory
from backend.jobs import run_jobs
from backend.notifications.models import Notification
from backend.region.models import Agency
from tests.backend.complaints.complaint_helpers import act, file_complaint
from tests.backend.helpers import claims_made_at_the_same_moment, login
from tests.live_server import REPO_ROOT, live_server

ON_POSTGRESQL = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


# What the jobs' claiming statements look for: due announcements, complaints to close.
DUE_ITEMS = ("announcement.notified_at IS NULL", "complaint.resolved_at <")


@dataclass(frozen=True)
class DueWork:
    announcement_ids: list[int]
    complaint_ids: list[int]
    follower_ids: list[int]


def _add_due_announcements(session: Session, count: int) -> DueWork:
    """`count` announcements of an agency published an hour ago, nobody told yet, and every
    resident following the agency."""
    agency = session.exec(select(Agency).where(Agency.code == "dbmsda")).one()
    admin = session.exec(select(User).where(User.role == "admin")).first()
    residents = session.exec(select(User.id).where(User.role == "resident")).all()
    for user_id in residents:
        session.add(AgencyFollow(agency_id=agency.id, user_id=user_id))
    published = utcnow() - dt.timedelta(hours=1)
    announcements = [
        Announcement(
            agency_id=agency.id,
            category=AnnouncementCategory.SERVICE_DISRUPTION,
            title_id=f"Perbaikan jalan {n}",
            title_en=f"Road works {n}",
            body_id="Lajur kiri ditutup.",
            body_en="The left lane is closed.",
            publish_at=published,
            author_id=admin.id,
        )
        for n in range(count)
    ]
    session.add_all(announcements)
    session.commit()
    return DueWork([a.id for a in announcements], [], list(residents))


@pytest.fixture
async def due_work(client, demo, session) -> DueWork:
    """Due announcements and three complaints resolved eight days ago (past the reopen window)."""
    work = _add_due_announcements(session, 20)
    resident = await login(client, demo.resident.username, demo.resident.password)
    officer_account = demo.officer("dbmsda")
    officer = await login(client, officer_account.username, officer_account.password)
    complaint_ids = []
    for _ in range(3):
        complaint = await file_complaint(client, resident)
        await act(client, complaint, "verify", officer)
        await act(client, complaint, "resolve", officer, note="Selesai.")
        complaint_ids.append(complaint["id"])
    session.execute(
        update(Complaint)
        .where(Complaint.id.in_(complaint_ids))
        .values(resolved_at=utcnow() - dt.timedelta(days=8))
    )
    session.commit()
    return DueWork(work.announcement_ids, complaint_ids, work.follower_ids)


def _assert_each_item_handled_once(session: Session, work: DueWork) -> None:
    told = Counter(
        session.exec(
            select(Notification.user_id, Notification.subject_id).where(
                Notification.kind == "announcement.published"
            )
        ).all()
    )
    expected = {(u, a) for u in work.follower_ids for a in work.announcement_ids}
    assert set(told) == expected
    assert set(told.values()) == {1}, "a follower was told twice"
    closings = Counter(
        session.exec(
            select(ComplaintEvent.complaint_id).where(
                ComplaintEvent.action == "close",
                ComplaintEvent.complaint_id.in_(work.complaint_ids),
            )
        ).all()
    )
    assert closings == {complaint_id: 1 for complaint_id in work.complaint_ids}


def test_a_second_run_finds_nothing_left_to_do(engine, settings, session, due_work):
    first = run_jobs(engine, settings=settings)
    assert all(outcome.ok for outcome in first)
    assert [o.report for o in first][:2] == [
        "told followers about 20 announcements",
        "closed 3 complaints whose reopen window ended",
    ]
    second = run_jobs(engine, settings=settings)
    assert [o.report for o in second][:2] == [
        "told followers about 0 announcements",
        "closed 0 complaints whose reopen window ended",
    ]
    _assert_each_item_handled_once(session, due_work)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_two_hosts_running_the_jobs_at_once_handle_each_item_once(settings, session, due_work):
    hosts = [open_engine(settings.database_url) for _ in range(2)]
    try:
        with (
            claims_made_at_the_same_moment(hosts, *DUE_ITEMS),
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            outcomes = list(pool.map(partial(run_jobs, settings=settings), hosts))
    finally:
        for engine in hosts:
            engine.dispose()
    for run in outcomes:
        assert all(outcome.ok for outcome in run), run  # the loser skipped, it did not crash
    told = [int(run[0].report.split()[3]) for run in outcomes]
    assert sum(told) == len(due_work.announcement_ids)
    _assert_each_item_handled_once(session, due_work)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_warga_jobs_run_from_cron_on_two_hosts_at_once(settings, engine, demo, session):
    work = _add_due_announcements(session, 300)
    environment = {**os.environ, "WARGA_DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "backend.cli", "jobs", "run"]
    runs = [
        subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all("announcements.notify-due: told followers about" in out for out in outputs)
    _assert_each_item_handled_once(session, work)


def test_the_server_runs_the_jobs_itself_when_asked(tmp_path: Path):
    environment = {"WARGA_JOBS_INTERVAL_SECONDS": "0.2"}
    with live_server(tmp_path, demo_content=False, environment=environment) as server:
        engine = open_engine(server.database_url)
        try:
            with Session(engine) as session:
                work = _add_due_announcements(session, 1)
            resident = server.account("resident")
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                token = http.post(
                    "/api/v1/auth/token",
                    data={"username": resident.username, "password": resident.password},
                ).json()["access_token"]
                deadline = time.monotonic() + 5
                while True:
                    inbox = http.get(
                        "/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}
                    ).json()["items"]
                    if any(item["subject_id"] == work.announcement_ids[0] for item in inbox):
                        break
                    assert time.monotonic() < deadline, "the server never ran the job"
                    time.sleep(0.1)
        finally:
            engine.dispose()
    with Session(open_engine(server.database_url)) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == len(
            work.follower_ids
        )

"""Periodic jobs, safe to run on every host at once.

Each job claims the items it handles with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; one
process serialises them on SQLite), so when cron fires on every host at the same minute, or
every worker runs them itself (``WARGA_JOBS_INTERVAL_SECONDS``), each item is handled by
exactly one run and the others skip it. Each job runs in its own transaction: one that fails is
logged and rolled back alone, never taking the others' work with it. (The certificates job
commits its claims before it renders, so it holds no lock while it works.)

``warga jobs run`` runs them all once (for cron); adding a job means adding it to ``JOBS``.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from backend.config import Settings
from backend.db import utcnow

logger = logging.getLogger("warga.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    # Does the work, returns a line for the log.
    run: Callable[[Session, dt.datetime, Settings], str]


def _announcements(session: Session, now: dt.datetime, _settings: Settings) -> str:
    from backend.information.announcements import notify_due_announcements

    return f"told followers about {notify_due_announcements(session, now=now)} announcements"


def _complaints(session: Session, now: dt.datetime, _settings: Settings) -> str:
    from backend.complaints.service import close_expired

    return f"closed {close_expired(session, now=now)} complaints whose reopen window ended"


def _permits(session: Session, now: dt.datetime, _settings: Settings) -> str:
    from backend.permits.scheduled import run_daily

    report = run_daily(session, now=now)
    return f"expired {report.expired} permits, sent {report.reminded} expiry reminders"


def _certificates(session: Session, now: dt.datetime, settings: Settings) -> str:
    from backend.permits.certificates import CertificateIssuer
    from backend.permits.issuing import produce_pending_certificates
    from backend.region.service import region_snapshot

    issuer = CertificateIssuer.configured(settings, region_code=region_snapshot(session).code)
    produced = produce_pending_certificates(session, issuer=issuer, now=now)
    return f"produced {produced} certificates of issued permits"


JOBS = (
    Job("announcements.notify-due", _announcements),
    Job("complaints.close-expired", _complaints),
    Job("permits.daily", _permits),
    Job("permits.certificates", _certificates),
)


@dataclass(frozen=True)
class Outcome:
    job: str
    ok: bool
    report: str


def run_jobs(
    engine: Engine, *, settings: Settings, now: dt.datetime | None = None
) -> list[Outcome]:
    """Run every job once, each in its own transaction."""
    now = now or utcnow()
    outcomes = []
    for job in JOBS:
        with Session(engine, expire_on_commit=False) as session:
            try:
                report = job.run(session, now, settings)
                session.commit()
            except (StaleDataError, DBAPIError) as error:
                # Another run or a request changed an item under this one, or the database
                # refused: this run leaves the job to the next one.
                session.rollback()
                logger.warning("job %s skipped: %s", job.name, error)
                outcomes.append(Outcome(job.name, False, f"skipped ({type(error).__name__})"))
                continue
        logger.info("job %s: %s", job.name, report)
        outcomes.append(Outcome(job.name, True, report))
    return outcomes


async def run_jobs_every(engine: Engine, settings: Settings) -> None:
    """The server's own scheduler (``WARGA_JOBS_INTERVAL_SECONDS``): run the jobs, wait, repeat."""
    while True:
        try:
            await asyncio.to_thread(run_jobs, engine, settings=settings)
        except Exception:  # never let one bad run stop the scheduler
            logger.exception("periodic jobs failed")
        await asyncio.sleep(settings.jobs_interval_seconds)

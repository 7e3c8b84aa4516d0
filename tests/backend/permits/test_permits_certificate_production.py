"""Certificates are produced after the permit commits: the number, dates and verification code
are there at once; the certificate follows outside any lock, and until it is ready its
endpoints answer 503 `certificate_not_ready` with `Retry-After`. A producer that failed or died
leaves the certificate to the job, which produces each one once however many hosts run it."""

import asyncio
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.database import open_engine
from backend.db import utcnow
from backend.jobs import run_jobs
from backend.permits import certificates
from backend.permits.models import PermitApplication
from tests.backend.helpers import claims_made_at_the_same_moment

FREE_PERMIT = "sip-nakes"  # issued by the last step's approval, without a fee


def certificate_url(application: dict, suffix: str = "") -> str:
    return f"/api/v1/permits/applications/{application['id']}/certificate{suffix}"


def produced_by_the_jobs(engine, settings) -> int:
    [outcome] = [o for o in run_jobs(engine, settings=settings) if o.job == "permits.certificates"]
    assert outcome.ok, outcome
    return int(outcome.report.split()[1])  # "produced N certificates ..."


def pdf_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@contextmanager
def renders_failing(monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the renderer crashed")

    with monkeypatch.context() as patch:
        patch.setattr(certificates, "render_pdf", broken)
        yield


async def test_a_failed_render_leaves_the_permit_issued_and_the_job_produces_it(
    permits, client, engine, settings, monkeypatch
):
    with renders_failing(monkeypatch):
        issued = await permits.issued(FREE_PERMIT)  # the approval still answers 200
    permit = issued["permit"]
    assert permit["permit_number"].startswith("503/") and permit["verification_code"]
    seen = await permits.get(issued)
    assert seen["status"] == "issued"
    assert seen["permit"]["permit_number"] == permit["permit_number"]
    verified = await client.get(f"/api/v1/verifications/{permit['verification_code']}")
    assert verified.json()["permit_number"] == permit["permit_number"]

    headers = {**await permits.auth(permits.demo.resident), "Accept-Language": "en"}
    for suffix in ("", "/link"):
        waiting = await client.get(certificate_url(issued, suffix), headers=headers)
        assert waiting.status_code == 503
        assert waiting.headers["content-type"] == "application/problem+json"
        assert waiting.headers["retry-after"] == "2"
        problem = waiting.json()
        assert problem["code"] == "certificate_not_ready"
        assert problem["title"] == "The certificate is being prepared, try again shortly"
        assert "sedang disiapkan" in problem["detail"] and "being prepared" in problem["detail"]

    assert produced_by_the_jobs(engine, settings) == 1
    pdf = (await permits.call("GET", certificate_url(issued), permits.demo.resident)).content
    assert permit["permit_number"] in pdf_text(pdf)
    assert produced_by_the_jobs(engine, settings) == 0  # nothing left to do


async def test_a_draft_has_no_certificate_rather_than_one_not_ready(permits):
    draft = await permits.submitted(FREE_PERMIT)
    missing = await permits.call("GET", certificate_url(draft), permits.demo.resident, expect=404)
    assert missing.json()["code"] == "not_found"


def pending_again(session: Session, application_ids: list[int], *, claimed_for=None) -> None:
    """As if the producer died after the commit: no certificate, and a claim that lapsed
    (or, with `claimed_for`, one still running for that long)."""
    session.execute(
        update(PermitApplication)
        .where(col(PermitApplication.id).in_(application_ids))
        .values(
            certificate_key=None,
            certificate_claimed_until=utcnow() + claimed_for if claimed_for else None,
        )
    )
    session.commit()


async def test_the_job_leaves_alone_a_certificate_a_live_producer_is_making(
    permits, engine, settings, session
):
    issued = await permits.issued(FREE_PERMIT)
    pending_again(session, [issued["id"]], claimed_for=dt.timedelta(seconds=30))
    assert produced_by_the_jobs(engine, settings) == 0
    pending_again(session, [issued["id"]])  # the claim lapsed: that producer died
    assert produced_by_the_jobs(engine, settings) == 1


def _approve_in_its_own_client(app, url: str, headers: dict) -> httpx.Response:
    """A request from another device: its own event loop and client, in this thread."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post(url, json={"note": "Sesuai."}, headers=headers)

    return asyncio.run(send())


async def _last_step_held(permits, permit_type: str) -> tuple[dict, dict]:
    """An application whose last step is claimed by its reviewer, with that reviewer's headers."""
    application = await permits.submitted(permit_type)
    steps = (await permits.permit_type(permit_type))["steps"]
    for step in steps[:-1]:
        staff = permits.staff_for(permit_type, step["role"])
        await permits.act(staff, application, "claim")
        application = await permits.act(staff, application, "approve", {"note": "Sesuai."})
    last = permits.staff_for(permit_type, steps[-1]["role"])
    application = await permits.act(last, application, "claim")
    return application, await permits.auth(last)


async def test_another_permit_is_numbered_while_a_certificate_renders(
    permits, app, client, monkeypatch
):
    """The first permit's certificate render is held on an event; meanwhile its number is
    visible, its certificate answers not-ready, and a second permit is issued and numbered."""
    first, first_headers = await _last_step_held(permits, FREE_PERMIT)
    second, second_headers = await _last_step_held(permits, FREE_PERMIT)
    rendering, release = threading.Event(), threading.Event()
    render = certificates.render_pdf

    def held_first_time(*args, **kwargs):
        if not rendering.is_set():
            rendering.set()
            assert release.wait(timeout=30), "the test never released the render"
        return render(*args, **kwargs)

    monkeypatch.setattr(certificates, "render_pdf", held_first_time)
    actions = "/api/v1/permits/applications/{}/actions/approve"
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            first_approval = pool.submit(
                _approve_in_its_own_client, app, actions.format(first["id"]), first_headers
            )
            assert rendering.wait(timeout=30), first_approval.exception(timeout=0)
            seen = await permits.get(first)
            assert seen["status"] == "issued" and seen["permit"]["permit_number"]
            waiting = await client.get(
                certificate_url(first), headers=await permits.auth(permits.demo.resident)
            )
            assert (waiting.status_code, waiting.json()["code"]) == (503, "certificate_not_ready")
            second_approval = pool.submit(
                _approve_in_its_own_client, app, actions.format(second["id"]), second_headers
            )
            # Held behind the first render (a lock kept while rendering), it would time out.
            answer = second_approval.result(timeout=10)
            assert answer.status_code == 200, answer.text
            second_number = answer.json()["permit"]["permit_number"]
            assert second_number != seen["permit"]["permit_number"]
        finally:
            release.set()
        assert first_approval.result(timeout=30).status_code == 200
    ready = await permits.call("GET", certificate_url(first), permits.demo.resident)
    assert seen["permit"]["permit_number"] in pdf_text(ready.content)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_two_hosts_running_the_job_at_once_produce_each_certificate_once(
    permits, settings, session
):
    issued = [await permits.issued(FREE_PERMIT) for _ in range(3)]
    pending_again(session, [application["id"] for application in issued])
    hosts = [open_engine(settings.database_url) for _ in range(2)]
    try:
        with (
            claims_made_at_the_same_moment(hosts, "certificate_key IS NULL"),
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            produced = list(pool.map(partial(produced_by_the_jobs, settings=settings), hosts))
    finally:
        for engine in hosts:
            engine.dispose()
    assert sum(produced) == 3, produced  # each rendered once: a second render would count
    keys = session.exec(
        select(PermitApplication.certificate_key).where(
            col(PermitApplication.id).in_([a["id"] for a in issued])
        )
    ).all()
    assert None not in keys

"""The API client's permit methods against the real server, and the permit rules the screens
use (which buttons a role sees, where problems belong, where certificates go), without a
display."""

import datetime as dt
import uuid

import httpx
import pytest

from backend.config import Settings
from backend.database import open_engine
from backend.jobs import run_jobs
from mobile.core.api import ApiError
from mobile.core.outbox import Outbox
from mobile.core.permits import (
    ANSWERS,
    DOCUMENTS,
    PERMIT_SUBMISSION,
    certificate_path,
    document_path,
    download_certificate,
    problems_under,
    queue_submission,
    resident_actions,
    save_download,
    staff_actions,
    verification_code,
    waiting_submissions,
)
from mobile.core.tokens import TokenStore
from tests.mobile.helpers import (
    EVENT_ANSWERS,
    EVENT_DOCUMENTS,
    EVENT_PERMIT,
    RecordedClient,
    certificate_pending,
    issue_event_permit,
    scans,
)


@pytest.fixture
async def sign_in(api_server, tmp_path):
    """`await sign_in(role, agency)` -> a client with its own session."""
    clients: list[RecordedClient] = []

    async def sign_in(role: str, agency: str | None = None) -> RecordedClient:
        account = api_server.account(role, agency)
        tokens = TokenStore(tmp_path / f"{role}-{agency}")
        clients.append(RecordedClient(api_server.base_url, tokens))
        await clients[-1].login(account.username, account.password)
        return clients[-1]

    yield sign_in
    for client in clients:
        await client.aclose()


async def test_a_draft_is_created_once_per_key_and_submitting_it_incomplete_names_each_gap(
    sign_in, tmp_path
):
    resident = await sign_in("resident")
    key = str(uuid.uuid4())
    draft = await resident.create_permit_application(EVENT_PERMIT, {}, idempotency_key=key)
    again = await resident.create_permit_application(EVENT_PERMIT, {}, idempotency_key=key)
    assert again["id"] == draft["id"] and draft["status"] == "draft"
    assert resident.transport.count("/api/v1/permits/applications") == 2

    partial = {"nama_acara": "Bazar UMKM", "nik": "123"}
    with pytest.raises(ApiError) as refused:
        await resident.update_permit_answers(draft["id"], partial)
    assert list(problems_under(refused.value, ANSWERS)) == ["nik"]

    document = await resident.upload_permit_document(
        draft["id"], "proposal", scans(tmp_path)["pdf"]
    )
    assert (document["kind"], document["media_type"]) == ("proposal", "application/pdf")

    with pytest.raises(ApiError) as incomplete:
        await resident.permit_action(draft["id"], "submit", idempotency_key=str(uuid.uuid4()))
    assert incomplete.value.code == "application_incomplete"
    assert "nama_penyelenggara" in problems_under(incomplete.value, ANSWERS)
    assert set(problems_under(incomplete.value, DOCUMENTS)) == {
        "ktp",
        "izin-tempat",
        "surat-pernyataan",
    }  # the proposal is there


async def test_from_draft_through_an_information_request_to_a_verified_certificate(
    sign_in, tmp_path
):
    resident = await sign_in("resident")
    officer = await sign_in("officer", "kesbangpol")
    head = await sign_in("supervisor", "kesbangpol")
    files = scans(tmp_path)
    draft = await resident.create_permit_application(
        EVENT_PERMIT, {}, idempotency_key=str(uuid.uuid4())
    )
    application_id = draft["id"]
    await resident.update_permit_answers(application_id, EVENT_ANSWERS)
    for kind, scan in EVENT_DOCUMENTS.items():
        await resident.upload_permit_document(application_id, kind, files[scan])
    submitted = await resident.permit_action(
        application_id, "submit", idempotency_key=str(uuid.uuid4())
    )
    assert submitted["status"] == "submitted"
    assert resident_actions(submitted) == ["withdraw", "comment"]
    mine = (await resident.permit_applications()).data["items"]
    assert application_id in [a["id"] for a in mine]

    queue = (await officer.permit_queue()).data["items"]
    [waiting] = [a for a in queue if a["id"] == application_id]
    assert staff_actions(waiting, "officer") == ["claim", "request_info", "reject", "comment"]
    await officer.permit_action(application_id, "claim")
    asked = await officer.permit_action(
        application_id,
        "request_info",  # sent to /actions/request-info
        {"note": "Proposal belum ditandatangani.", "fields": [], "documents": ["proposal"]},
    )
    assert asked["information_request"] == {"fields": [], "documents": ["proposal"]}
    assert resident_actions(asked) == ["resubmit", "withdraw", "comment"]

    await resident.upload_permit_document(application_id, "proposal", files["pdf"])
    await resident.permit_action(application_id, "resubmit")
    await officer.permit_comment(application_id, "Sudah dicek lapangan.", internal=True)
    for _step in ("verifikasi", "koordinasi"):
        await officer.permit_action(application_id, "claim")
        await officer.permit_action(application_id, "approve", {"note": None})
    await head.permit_action(application_id, "claim")
    issued = await head.permit_action(application_id, "approve", {"note": "Direkomendasikan."})
    assert issued["status"] == "issued"
    assert staff_actions(issued, "supervisor") == ["revoke"]

    seen = (await resident.permit_application(application_id)).data
    assert all(event["public"] for event in seen["timeline"])  # the internal note is not shown
    code = verification_code(seen["permit"])
    verified = await resident.verify_permit(code)
    assert verified["valid"] and verified["permit_number"] == seen["permit"]["permit_number"]
    pdf = await resident.permit_certificate(application_id)
    path = save_download(certificate_path(tmp_path / "data", seen["permit"]), pdf)
    assert path.read_bytes().startswith(b"%PDF-")
    assert "/" not in path.name and path.name.endswith(".pdf")  # permit numbers have slashes
    link = await resident.permit_certificate_link(application_id)
    async with httpx.AsyncClient() as browser:  # as a phone's browser: no token of the app's
        assert (await browser.get(link)).content == pdf
    [proposal] = [d for d in seen["documents"] if d["kind"] == "proposal"]
    copy = document_path(tmp_path / "data", application_id, proposal)
    save_download(copy, await officer.permit_document(application_id, proposal["id"]))
    assert copy.read_bytes().startswith(b"%PDF-")

    with pytest.raises(ApiError) as unknown:
        await resident.verify_permit("not-a-real-code")
    assert unknown.value.status == 404


async def test_a_certificate_still_being_prepared_is_asked_for_once_more_after_the_wait(
    api_server, sign_in, tmp_path
):
    application_id = issue_event_permit(api_server, tmp_path / "scans")
    certificate_pending(api_server, application_id)  # as if its producer had died
    resident = await sign_in("resident")
    path = f"/api/v1/permits/applications/{application_id}/certificate"
    server_settings = Settings(
        **{k.removeprefix("WARGA_").lower(): v for k, v in api_server.environment.items()}
    )
    waits: list[float] = []

    async def the_job_runs_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        engine = open_engine(api_server.database_url)
        try:
            run_jobs(engine, settings=server_settings)  # as cron would on the server's host
        finally:
            engine.dispose()

    pdf = await download_certificate(resident, application_id, waiting=the_job_runs_meanwhile)
    assert pdf is not None and pdf.startswith(b"%PDF-")
    assert waits == [2] and resident.transport.count(path) == 2  # the server's Retry-After

    certificate_pending(api_server, application_id, claimed_for=dt.timedelta(minutes=1))
    waits.clear()

    async def nothing_happens_meanwhile(seconds: float) -> None:
        waits.append(seconds)

    still = await download_certificate(resident, application_id, waiting=nothing_happens_meanwhile)
    assert still is None
    assert waits == [2] and resident.transport.count(path) == 4  # asked once more, no more


async def test_a_submission_made_offline_is_created_once_after_a_restart(
    sign_in, make_client, unreachable_url, tmp_path
):
    resident = await sign_in("resident")
    files = scans(tmp_path)
    folder = tmp_path / "outbox"
    outbox = Outbox(folder)
    queue_submission(
        outbox,
        permit_type=EVENT_PERMIT,
        title="Rekomendasi Penyelenggaraan Keramaian",
        application=None,  # never reached the server: the draft is queued too
        answers=EVENT_ANSWERS,
        documents={kind: files[scan] for kind, scan in EVENT_DOCUMENTS.items()},
    )
    [waiting] = waiting_submissions(outbox)
    assert waiting.title == "Rekomendasi Penyelenggaraan Keramaian"
    offline = await outbox.flush(make_client(unreachable_url))
    assert (offline.sent, offline.waiting) == (0, 6)  # draft, four documents, submit
    outbox.close()  # the app is closed while offline

    restarted = Outbox(folder)
    online = await restarted.flush(resident)
    assert (online.sent, online.failed, online.waiting) == (6, 0, 0)
    assert waiting_submissions(restarted) == []
    [submitted] = [item for item in restarted.items() if item.kind == PERMIT_SUBMISSION]
    application_id = submitted.response["id"]
    assert submitted.response["status"] == "submitted"
    assert (await restarted.flush(resident)).sent == 0  # nothing is sent twice

    mine = (await resident.permit_applications()).data["items"]
    assert [a["id"] for a in mine].count(application_id) == 1
    sent = (await resident.permit_application(application_id)).data
    assert {d["kind"] for d in sent["documents"]} == set(EVENT_DOCUMENTS)
    assert sent["answers"]["nama_acara"] == EVENT_ANSWERS["nama_acara"]


def test_step_actions_belong_to_the_role_the_step_names_and_claims_to_who_lacks_them():
    step = {"code": "penandatanganan", "role": "supervisor"}
    application = {"status": "in_review", "current_step": step, "assignee_id": None}
    assert staff_actions(application, "officer") == ["comment"]
    assert staff_actions(application, "supervisor") == [
        "claim",
        "approve",
        "request_info",
        "reject",
        "assign",
        "comment",
    ]
    held = {**application, "assignee_id": 7}
    assert "claim" not in staff_actions(held, "supervisor", user_id=7)
    # A step a colleague holds: a claim would be refused; a supervisor may take it over.
    assert staff_actions(held, "supervisor", user_id=8)[:2] == ["take_over", "request_info"]
    officer_step = {**application, "current_step": {**step, "role": "officer"}, "assignee_id": 7}
    officer_actions = ["request_info", "reject", "comment"]
    assert staff_actions(officer_step, "officer", user_id=8) == officer_actions
    supervisor_actions = ["take_over", "assign", "comment"]
    assert staff_actions(officer_step, "supervisor", user_id=8) == supervisor_actions
    # Taken over, the step is the supervisor's to decide, whatever role it names.
    taken = {**officer_step, "assignee_id": 8}
    assert staff_actions(taken, "supervisor", user_id=8) == [
        "approve",
        "request_info",
        "reject",
        "assign",
        "comment",
    ]
    billed = {"status": "awaiting_payment", "current_step": None, "assignee_id": None}
    assert staff_actions(billed, "officer") == ["record_payment", "comment"]
    assert resident_actions({"status": "issued"}) == []


async def test_an_approval_from_a_stale_screen_is_refused_by_its_version(sign_in, tmp_path):
    resident = await sign_in("resident")
    officer = await sign_in("officer", "kesbangpol")
    head = await sign_in("supervisor", "kesbangpol")
    files = scans(tmp_path)
    draft = await resident.create_permit_application(
        EVENT_PERMIT, EVENT_ANSWERS, idempotency_key=str(uuid.uuid4())
    )
    for kind, scan in EVENT_DOCUMENTS.items():
        await resident.upload_permit_document(draft["id"], kind, files[scan])
    await resident.permit_action(draft["id"], "submit", idempotency_key=str(uuid.uuid4()))
    on_screen = await officer.permit_action(draft["id"], "claim")

    taken = await head.permit_action(draft["id"], "take_over", version=on_screen["version"])
    assert taken["assignee_id"] != on_screen["assignee_id"]
    with pytest.raises(ApiError) as stale:
        await officer.permit_action(
            draft["id"], "approve", {"note": None}, version=on_screen["version"]
        )
    assert (stale.value.status, stale.value.code) == (409, "version_conflict")
    sent = officer.transport.requests[-1]
    assert sent.headers["If-Match"] == str(on_screen["version"])
    with pytest.raises(ApiError) as not_held:  # the current version, but the head holds it now
        await officer.permit_action(
            draft["id"], "approve", {"note": None}, version=taken["version"]
        )
    assert (not_held.value.status, not_held.value.code) == (409, "step_not_held")

"""Review in steps: who may take which action at which point, the information-request loop,
fees, comments, the audit trail, the queue, and what the applicant is told."""

import pytest
from sqlmodel import select

from backend.accounts.models import User
from backend.notifications.models import Notification
from backend.permits.models import PermitEvent
from tests.backend.permits.conftest import ANSWERS

PAYMENT = {"receipt_number": "KW-2026-0099", "amount": 1500000, "paid_on": "2026-11-02"}

# Each action at the first review step (an officer's), per caller: the status code expected.
# "other_officer" works for another agency, so the application does not exist for them.
ACTIONS_AT_OFFICER_STEP = [
    ("claim", {}, {"resident": 403, "officer": 200, "supervisor": 403, "other_officer": 404}),
    ("approve", {}, {"resident": 403, "officer": 200, "supervisor": 403, "other_officer": 404}),
    (
        "request-info",
        {"note": "Foto buram.", "documents": ["foto-lokasi"]},
        {"resident": 403, "officer": 200, "supervisor": 403, "other_officer": 404},
    ),
    (
        "reject",
        {"reasons": "Lokasi di jalur hijau."},
        {"resident": 403, "officer": 200, "supervisor": 403, "other_officer": 404},
    ),
    (
        "record-payment",
        PAYMENT,
        {"resident": 403, "officer": 409, "supervisor": 409, "other_officer": 404},
    ),
    (
        "revoke",
        {"reason": "Palsu."},
        {"resident": 403, "officer": 403, "supervisor": 409, "other_officer": 404},
    ),
    ("resubmit", {}, {"resident": 409, "officer": 403, "supervisor": 403, "other_officer": 404}),
    ("submit", {}, {"resident": 409, "officer": 403, "supervisor": 403, "other_officer": 404}),
    ("withdraw", {}, {"resident": 200, "officer": 403, "supervisor": 403, "other_officer": 404}),
]


def caller(demo, name: str):
    return {
        "resident": demo.resident,
        "officer": demo.officer("dpmptsp"),
        "supervisor": demo.supervisor("dpmptsp"),
        "other_officer": demo.officer("dbpr"),
    }[name]


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    ACTIONS_AT_OFFICER_STEP,
    ids=[a[0] for a in ACTIONS_AT_OFFICER_STEP],
)
async def test_who_may_act_at_an_officers_step(permits, action, body, expected):
    application = await permits.submitted("izin-reklame")
    await permits.act(permits.demo.officer("dpmptsp"), application, "claim")
    for name, status in expected.items():
        if status == 200:
            continue  # taken last, as it changes the application
        problem = await permits.act(
            caller(permits.demo, name), application, action, body, expect=status
        )
        expected_code = {403: "forbidden", 404: "not_found", 409: "transition_not_allowed"}
        assert problem["code"] == expected_code[status], (name, problem)
    for name, status in expected.items():
        if status == 200:
            await permits.act(caller(permits.demo, name), application, action, body)


async def test_the_decision_step_is_the_supervisors(permits, session):
    application = await permits.submitted("izin-reklame")
    officer, supervisor = permits.demo.officer("dpmptsp"), permits.demo.supervisor("dpmptsp")
    # Approving before anyone claimed (started) the review is out of order.
    await permits.act(officer, application, "approve", expect=409)
    for _ in range(2):
        await permits.act(officer, application, "claim")
        application = await permits.act(officer, application, "approve")
    assert application["current_step"]["code"] == "keputusan"
    await permits.act(officer, application, "approve", expect=403)
    await permits.act(officer, application, "reject", {"reasons": "x"}, expect=403)
    await permits.act(supervisor, application, "claim")
    application = await permits.act(supervisor, application, "approve")
    assert application["status"] == "awaiting_payment"
    assert application["payment"]["amount"] == 1500000
    assert application["payment"]["reference"] == "PAY-" + application["registration_number"][4:]
    assert [s["state"] for s in application["steps"]] == ["done", "done", "done"]

    # Each step's staff were told when it reached them: officers twice, the supervisor once.
    def routed_to(account) -> list[str]:
        user = session.exec(select(User.id).where(User.email == account.username)).one()
        return session.exec(
            select(Notification.title_en)
            .where(Notification.user_id == user, Notification.kind == "permit.routed")
            .order_by(Notification.id)
        ).all()

    number = application["registration_number"]
    first, _, decision = (step["name"]["en"] for step in application["steps"])
    # The officer moved the second step on himself, so only the first reached him as news.
    assert routed_to(officer) == [f"Application {number} awaits {first}"]
    assert routed_to(supervisor) == [f"Application {number} awaits {decision}"]


async def test_payment_must_match_the_bill_and_then_issues_the_permit(permits):
    application = await permits.through_review(await permits.submitted("izin-reklame"))
    officer = permits.demo.officer("dpmptsp")
    wrong = await permits.act(
        officer, application, "record-payment", {**PAYMENT, "amount": 150000}, expect=422
    )
    assert wrong["errors"][0]["field"] == "amount"
    future = await permits.act(
        officer, application, "record-payment", {**PAYMENT, "paid_on": "2099-01-01"}, expect=422
    )
    assert future["errors"][0]["field"] == "paid_on"
    issued = await permits.act(officer, application, "record-payment", PAYMENT)
    assert issued["status"] == "issued" and issued["blds_status"] == "Permit Issued"
    assert issued["payment"]["receipt_number"] == "KW-2026-0099"
    assert issued["permit"]["permit_number"].startswith("503/")
    assert issued["permit"]["permit_number"].endswith("/DPMPTSP/2026")
    await permits.act(officer, issued, "record-payment", PAYMENT, expect=409)


async def test_a_fee_free_permit_is_issued_by_the_decision(permits):
    application = await permits.through_review(await permits.submitted("sip-nakes"))
    assert application["status"] == "issued"
    assert application["payment"] is None
    permit = application["permit"]
    assert permit["valid_from"] is not None
    # SIP: 1825 days, the first and last day included.
    from datetime import date

    days = date.fromisoformat(permit["valid_until"]) - date.fromisoformat(permit["valid_from"])
    assert days.days == 1824


async def test_information_request_loop_lets_the_applicant_change_only_what_was_asked(
    permits, client, session
):
    application = await permits.submitted("izin-reklame")
    officer, resident = permits.demo.officer("dpmptsp"), permits.demo.resident
    await permits.act(officer, application, "claim")
    unknown = await permits.act(
        officer, application, "request-info", {"note": "?", "fields": ["warna"]}, expect=422
    )
    assert unknown["errors"][0]["field"] == "fields"
    application = await permits.act(
        officer,
        application,
        "request-info",
        {
            "note": "Ukuran tidak sesuai desain; unggah desain terbaru.",
            "fields": ["lebar_m", "tinggi_m"],
            "documents": ["desain-reklame"],
        },
    )
    assert application["status"] == "needs_info"
    seen = await permits.get(application)
    assert seen["information_request"] == {
        "fields": ["lebar_m", "tinggi_m"],
        "documents": ["desain-reklame"],
    }
    assert seen["deadline"]["paused"] is True
    assert seen["timeline"][-1]["note"] == "Ukuran tidak sesuai desain; unggah desain terbaru."
    # The officer's claim is internal: not in the applicant's timeline.
    assert "claim" not in [event["action"] for event in seen["timeline"]]

    url = f"/api/v1/permits/applications/{application['id']}"
    refused = await permits.call(
        "PATCH",
        url,
        resident,
        json={"answers": {"lebar_m": 4, "naskah_reklame": "Baru"}},
        expect=422,
    )
    assert {e["field"] for e in refused.json()["errors"]} == {"answers.naskah_reklame"}
    await permits.upload(application, "ktp", expect=409)
    await permits.call("PATCH", url, resident, json={"answers": {"lebar_m": 4, "tinggi_m": 3}})
    await permits.upload(application, "desain-reklame")
    # The officer cannot resubmit for the applicant, nor approve while waiting.
    await permits.act(officer, application, "approve", expect=409)
    application = await permits.act(resident, application, "resubmit")
    assert application["status"] == "in_review"
    assert application["current_step"]["code"] == "verifikasi"
    assert application["answers"]["lebar_m"] == 4
    assert application["information_request"] is None
    assert len(application["deadline"]["pauses"]) == 1
    await permits.call("PATCH", url, resident, json={"answers": {"lebar_m": 5}}, expect=409)

    siti = session.exec(select(User.id).where(User.email == resident.username)).one()
    kinds = session.exec(
        select(Notification.kind).where(Notification.user_id == siti).order_by(Notification.id)
    ).all()
    assert kinds == ["permit.start_review", "permit.request_info"]


async def test_rejection_and_withdrawal_end_the_application(permits, session):
    rejected = await permits.submitted("pbg")
    officer = permits.demo.officer("dbpr")
    rejected = await permits.act(
        officer, rejected, "reject", {"reasons": "Lokasi berada di sempadan sungai."}
    )
    assert rejected["status"] == "rejected" and rejected["blds_status"] == "Permit Cancelled"
    seen = await permits.get(rejected)
    assert seen["timeline"][-1]["note"] == "Lokasi berada di sempadan sungai."
    await permits.act(permits.demo.resident, rejected, "resubmit", expect=409)
    await permits.act(permits.demo.resident, rejected, "withdraw", expect=409)

    withdrawn = await permits.act(permits.demo.resident, await permits.submitted("pbg"), "withdraw")
    assert withdrawn["status"] == "withdrawn"
    queue = await permits.call("GET", "/api/v1/permits/queue", officer)
    assert queue.json()["items"] == []
    titles = session.exec(
        select(Notification.title_en).where(Notification.kind == "permit.reject")
    ).all()
    assert titles == [f"Application {rejected['registration_number']} was rejected"]


async def test_a_resident_never_sees_anothers_application_or_document(permits, client):
    application = await permits.submitted("izin-reklame")
    document = application["documents"][0]
    other = permits.demo.other_resident
    base = f"/api/v1/permits/applications/{application['id']}"
    await permits.call("GET", base, other, expect=404)
    await permits.call("GET", f"{base}/documents/{document['id']}", other, expect=404)
    await permits.call("PATCH", base, other, json={"answers": {}}, expect=404)
    await permits.act(other, application, "withdraw", expect=404)
    listed = await permits.call("GET", "/api/v1/permits/applications", other)
    assert listed.json()["items"] == []
    # The agency's officer sees it, and the document; another agency's does not.
    await permits.call("GET", f"{base}/documents/{document['id']}", permits.demo.officer("dpmptsp"))
    await permits.call("GET", base, permits.demo.officer("dbpr"), expect=404)
    admin_list = await permits.call("GET", "/api/v1/permits/applications", permits.demo.admin)
    assert [item["id"] for item in admin_list.json()["items"]] == [application["id"]]


async def test_submitted_applications_cannot_be_edited_or_deleted(permits):
    application = await permits.submitted("sip-nakes")
    url = f"/api/v1/permits/applications/{application['id']}"
    await permits.call(
        "PATCH", url, permits.demo.resident, json={"answers": {"sip_ke": 2}}, expect=409
    )
    await permits.call("DELETE", url, permits.demo.resident, expect=409)
    await permits.upload(application, "ktp", expect=409)
    document = application["documents"][0]
    await permits.call(
        "DELETE", f"{url}/documents/{document['id']}", permits.demo.resident, expect=409
    )


async def test_comments_internal_notes_and_the_append_only_audit_trail(permits, client, session):
    application = await permits.submitted("rekomendasi-keramaian")
    officer = permits.demo.officer("kesbangpol")
    url = f"/api/v1/permits/applications/{application['id']}/comments"
    await permits.call(
        "POST", url, officer, json={"text": "Cek jadwal CFD.", "internal": True}, expect=201
    )
    await permits.call("POST", url, officer, json={"text": "Berkas kami terima."}, expect=201)
    await permits.call(
        "POST",
        url,
        permits.demo.resident,
        json={"text": "Terima kasih.", "internal": True},
        expect=403,
    )
    await permits.call(
        "POST", url, permits.demo.resident, json={"text": "Terima kasih."}, expect=201
    )
    resident_view = await permits.get(application)
    assert [e["note"] for e in resident_view["timeline"] if e["action"] == "comment"] == [
        "Berkas kami terima.",
        "Terima kasih.",
    ]
    staff_view = await permits.get(application, officer)
    assert [e["note"] for e in staff_view["timeline"] if e["action"] == "comment"] == [
        "Cek jadwal CFD.",
        "Berkas kami terima.",
        "Terima kasih.",
    ]
    # Only the officer's public message notifies the applicant.
    kinds = session.exec(select(Notification.kind).where(Notification.kind == "permit.comment"))
    assert len(kinds.all()) == 1

    event = session.exec(select(PermitEvent)).first()
    event.note = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.exec(select(PermitEvent)).first())
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()


async def test_every_action_lands_in_the_audit_trail_with_who_and_when(permits, session):
    application = await permits.issued("izin-reklame")
    events = session.exec(
        select(PermitEvent)
        .where(PermitEvent.application_id == application["id"])
        .order_by(PermitEvent.id)
    ).all()
    assert [(e.action, e.from_status, e.to_status, e.actor_role) for e in events] == [
        ("submit", "draft", "submitted", "resident"),
        ("start_review", "submitted", "in_review", "officer"),
        ("claim", "in_review", "in_review", "officer"),
        ("approve_step", "in_review", "in_review", "officer"),
        ("claim", "in_review", "in_review", "officer"),
        ("approve_step", "in_review", "in_review", "officer"),
        ("claim", "in_review", "in_review", "supervisor"),
        ("decide_approve", "in_review", "approved", "supervisor"),
        ("require_payment", "approved", "awaiting_payment", "system"),
        ("record_payment", "awaiting_payment", "issued", "officer"),
    ]
    assert [e.step_code for e in events[1:8]] == [
        "verifikasi",
        "verifikasi",
        "verifikasi",
        "survei-lapangan",
        "survei-lapangan",
        "keputusan",
        "keputusan",
    ]
    assert all(e.created_at is not None for e in events)
    assert events[-1].details["receipt_number"] == "KW-0001"


async def test_the_queue_shows_waiting_applications_by_due_date_with_cursor(permits):
    first = await permits.submitted("izin-reklame")
    second = await permits.submitted("izin-reklame")
    officer, supervisor = permits.demo.officer("dpmptsp"), permits.demo.supervisor("dpmptsp")
    page = (await permits.call("GET", "/api/v1/permits/queue?limit=1", officer)).json()
    assert [item["id"] for item in page["items"]] == [first["id"]]
    rest = (
        await permits.call(
            "GET", f"/api/v1/permits/queue?limit=1&cursor={page['next_cursor']}", officer
        )
    ).json()
    assert [item["id"] for item in rest["items"]] == [second["id"]]
    assert rest["next_cursor"] is None
    # Nothing waits on the supervisor yet; other roles and agencies see nothing.
    assert (await permits.call("GET", "/api/v1/permits/queue", supervisor)).json()["items"] == []
    await permits.call("GET", "/api/v1/permits/queue", permits.demo.resident, expect=403)
    other = await permits.call("GET", "/api/v1/permits/queue", permits.demo.officer("dbpr"))
    assert other.json()["items"] == []


async def test_renewal_starts_a_prefilled_draft_linked_to_the_old_permit(permits):
    issued = await permits.issued("sip-nakes")
    url = f"/api/v1/permits/applications/{issued['id']}/renewals"
    renewal = (await permits.call("POST", url, permits.demo.resident, expect=201)).json()
    assert renewal["status"] == "draft" and renewal["id"] != issued["id"]
    assert renewal["renewal_of"] == issued["registration_number"]
    assert renewal["answers"]["nomor_str"] == ANSWERS["sip-nakes"]["nomor_str"]
    assert renewal["documents"] == []
    # Building approvals (PBG) are not renewable; an application under review is no permit yet.
    pbg = await permits.issued("pbg")
    refused = await permits.call(
        "POST",
        f"/api/v1/permits/applications/{pbg['id']}/renewals",
        permits.demo.resident,
        expect=409,
    )
    assert refused.json()["code"] == "conflict"
    await permits.call(
        "POST",
        f"/api/v1/permits/applications/{renewal['id']}/renewals",
        permits.demo.resident,
        expect=409,
    )


async def test_revocation_is_a_supervisors_decision_with_a_reason(permits, session):
    issued = await permits.issued("rekomendasi-keramaian")
    officer, supervisor = permits.demo.officer("kesbangpol"), permits.demo.supervisor("kesbangpol")
    await permits.act(officer, issued, "revoke", {"reason": "Acara dibatalkan."}, expect=403)
    await permits.act(supervisor, issued, "revoke", {}, expect=422)
    revoked = await permits.act(supervisor, issued, "revoke", {"reason": "Acara dibatalkan."})
    assert revoked["status"] == "revoked"
    assert revoked["permit"]["revocation_reason"] == "Acara dibatalkan."
    seen = await permits.get(revoked)
    assert seen["timeline"][-1]["action"] == "revoke"
    assert seen["timeline"][-1]["note"] == "Acara dibatalkan."
    await permits.act(supervisor, issued, "revoke", {"reason": "lagi"}, expect=409)


async def test_the_certificate_is_there_only_once_issued(permits, client):
    application = await permits.submitted("sip-nakes")
    url = f"/api/v1/permits/applications/{application['id']}/certificate"
    await permits.call("GET", url, permits.demo.resident, expect=404)
    issued = await permits.through_review(application)
    response = await permits.call("GET", url, permits.demo.resident)
    assert response.headers["content-type"] == "application/pdf"
    assert issued["permit"]["certificate_url"].endswith(url)
    await permits.call("GET", url, permits.demo.other_resident, expect=404)
    assert response.content.startswith(b"%PDF-")


async def test_a_supervisor_hands_the_step_to_a_colleague_who_can_take_it(permits, session):
    application = await permits.submitted("izin-reklame")
    officer, supervisor = permits.demo.officer("dpmptsp"), permits.demo.supervisor("dpmptsp")

    def user_id(account) -> int:
        return session.exec(select(User.id).where(User.email == account.username)).one()

    refused = await permits.act(
        officer, application, "assign", {"assignee_id": user_id(officer)}, expect=403
    )
    assert refused["code"] == "forbidden"
    for not_eligible in (supervisor, permits.demo.officer("dbpr"), permits.demo.resident):
        await permits.act(
            supervisor,
            application,
            "assign",
            {"assignee_id": user_id(not_eligible)},
            expect=422,
        )
    assigned = await permits.act(
        supervisor, application, "assign", {"assignee_id": user_id(officer)}
    )
    assert assigned["assignee_id"] == user_id(officer)
    told = session.exec(
        select(Notification.kind)
        .where(Notification.user_id == user_id(officer))
        .order_by(Notification.id)
    ).all()
    assert told == ["permit.routed", "permit.assigned"]
    timeline = (await permits.get(application))["timeline"]
    assert "assign" not in [event["action"] for event in timeline]  # internal to the agency


async def test_information_can_be_asked_before_the_review_starts(permits):
    application = await permits.submitted("pbg")
    officer = permits.demo.officer("dbpr")
    asked = await permits.act(
        officer,
        application,
        "request-info",
        {"note": "Sertifikat tidak terbaca.", "documents": ["sertifikat-tanah"]},
    )
    assert asked["status"] == "needs_info" and asked["current_step"]["code"] == "verifikasi"
    await permits.upload(application, "sertifikat-tanah")
    resumed = await permits.act(permits.demo.resident, application, "resubmit")
    assert resumed["status"] == "in_review"
    assert resumed["deadline"]["pauses"][0]["working_days"] == 0  # asked and answered today


@pytest.mark.parametrize("number", [0, 2**31, 2**63])
async def test_ids_and_amounts_no_row_can_hold_are_refused_with_the_field_at_fault(
    permits, demo, number
):
    # Past PostgreSQL's integer (or bigint) range these reached the database and failed there.
    application = await permits.submitted("izin-reklame")
    officer = permits.staff_for("izin-reklame", "officer")
    base = "/api/v1/permits/applications"
    for url, field in [
        (f"{base}/{number}", "application_id"),
        (f"{base}/{application['id']}/documents/{number}", "document_id"),
    ]:
        response = await permits.call("GET", url, demo.resident, expect=422)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field
    assigned = await permits.act(
        officer, application, "assign", {"assignee_id": number}, expect=422
    )
    assert assigned["errors"][0]["field"] == "assignee_id"
    if number > 2**31:  # amounts are bigint: only 2**63 is past them
        paid = await permits.act(
            officer, application, "record-payment", {**PAYMENT, "amount": number}, expect=422
        )
        assert paid["errors"][0]["field"] == "amount"

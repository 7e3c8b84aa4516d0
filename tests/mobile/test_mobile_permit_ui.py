"""Permits in the real app, headless, against the real server: a resident applies for the
fee-free event recommendation (and once more offline, through the outbox), answers the
reviewer's information request, an officer approves two steps in the app's two-pane queue, and
the resident finds the permit issued and verifiable; an officer records a billboard permit's fee.

The staff steps the app does not need to show (the first reviewer's request, the head's final
decision) go straight through the API."""

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest

from mobile.core.api import ApiClient
from mobile.core.outbox import FlushResult, Outbox
from mobile.core.tokens import TokenStore
from tests.live_server import LiveServer
from tests.mobile.helpers import (
    BILLBOARD_ANSWERS,
    EVENT_ANSWERS,
    EVENT_PERMIT,
    certificate_pending,
    issue_event_permit,
    scans,
)


class Account:
    """A demo account acting on applications straight through the API."""

    def __init__(self, api_server: LiveServer, role: str, agency: str | None) -> None:
        account = api_server.account(role, agency)
        self.http = httpx.Client(base_url=api_server.base_url + "/api/v1")
        token = self.http.post(
            "/auth/token", data={"username": account.username, "password": account.password}
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, **kwargs) -> dict:
        response = self.http.post(path, **kwargs)
        assert response.is_success, response.text
        return response.json()

    def act(self, application_id: int, action: str, body: dict | None = None) -> dict:
        return self.post(f"/permits/applications/{application_id}/actions/{action}", json=body)


@pytest.fixture
def staff(api_server):
    """`staff(role, agency)` -> an `Account` signed in through the API."""
    made: list[Account] = []

    def make(role: str, agency: str | None = "kesbangpol") -> Account:
        made.append(Account(api_server, role, agency))
        return made[-1]

    yield make
    for member in made:
        member.http.close()


async def send_outbox(app_data: Path, base_url: str) -> FlushResult:
    """What the app does when the network is back: send its outbox with its saved session."""
    tokens = TokenStore(app_data)
    outbox = Outbox(app_data / "outbox", account=tokens.session.account)  # the one signed in
    api = ApiClient(base_url, tokens=tokens)
    try:
        return await outbox.flush(api)
    finally:
        outbox.close()
        await api.aclose()


def submit(
    resident: Account, permit_type: str, answers: dict, documents: dict[str, str], folder: Path
) -> dict:
    """An application submitted through the API; `documents` names a scan ("photo" or "pdf")
    for each kind."""
    files = scans(folder)
    draft = resident.post(
        "/permits/applications", json={"permit_type": permit_type, "answers": answers}
    )
    for kind, scan in documents.items():
        path = files[scan]
        resident.post(
            f"/permits/applications/{draft['id']}/documents/{kind}",
            files={"file": (path.name, path.read_bytes())},
        )
    return resident.act(draft["id"], "submit")


def test_apply_answer_a_request_approve_in_the_app_and_see_the_permit_issued(
    drive, staff, api_server, unreachable_url, tmp_path
):
    applied = drive("permit_apply", "--param", f"permit_type={EVENT_PERMIT}")
    # Every field type of the pack's forms but one (no `number` in this form) is drawn.
    assert set(applied["fields"]) == {
        "text", "nik", "phone", "email", "choice", "date", "integer", "coordinates",
        "textarea", "boolean", "multichoice",
    }  # fmt: skip
    # Submitted empty: each required answer and document is named at its place, on the device.
    empty = applied["empty"]
    assert empty["fields"]["nama_acara"] == "Wajib diisi."
    assert "email" not in empty["fields"]  # optional
    assert set(empty["documents"]) == {"ktp", "proposal", "izin-tempat", "surat-pernyataan"}
    assert applied["saved"]["notice"] == "Draf tersimpan."
    assert applied["saved"]["number"].startswith("Nomor registrasi IZN-")
    # Answers complete, documents missing: the server's 422 names every document, shown at each.
    incomplete = applied["incomplete"]
    assert incomplete["fields"] == {}
    assert incomplete["documents"] == {
        kind: "Dokumen wajib ini belum diunggah."
        for kind in ("ktp", "proposal", "izin-tempat", "surat-pernyataan")
    }
    assert incomplete["notice"]  # the translated "application incomplete" problem
    assert applied["attached"]["proposal"] == "Terunggah: surat.pdf"
    assert applied["attached"]["ktp"] == "Terunggah: foto.jpg"
    detail = "\n".join(applied["detail"])
    assert "Diajukan" in detail and "Tahap saat ini: Verifikasi berkas" in detail
    assert "Perkiraan jumlah peserta: 300" in detail
    assert "Dukungan yang diminta dari kota: Pengaturan lalu lintas, Kebersihan" in detail
    # Withdrawing ends the case: drawn apart, after the others.
    assert applied["buttons"] == ["Beri komentar", "Tarik permohonan"]
    assert applied["after_back"] == "permit_type"
    application_id = applied["application_id"]

    # The same app again, now without network: the submission waits in the outbox.
    app_data = tmp_path / "permit_apply"
    offline = drive(
        "permit_apply_offline",
        "--param",
        f"permit_type={EVENT_PERMIT}",
        api=unreachable_url,
        data_dir=app_data,
    )
    assert offline["notice"].startswith("Luring: data tersimpan ")
    assert offline["documents"]["proposal"] == "Dikirim bersama permohonan: surat.pdf"
    assert offline["mine"][0]["badge"] == "Menunggu dikirim"
    queued = ["permit_application", *["permit_document"] * 4, "permit_submission"]
    assert offline["outbox"] == queued  # the draft, four documents, the submit
    sent = asyncio.run(send_outbox(app_data, api_server.base_url))
    assert (sent.sent, sent.failed, sent.waiting) == (6, 0, 0)

    officer = staff("officer")
    officer.act(application_id, "claim")
    officer.act(
        application_id,
        "request-info",
        {
            "note": "Peserta melebihi kapasitas lapangan; perbaiki dan lampirkan proposal baru.",
            "fields": ["perkiraan_peserta"],
            "documents": ["proposal"],
        },
    )

    answered = drive("permit_answer_request", "--param", f"application={application_id}")
    [mine] = [row for row in answered["mine"] if row["id"] == application_id]
    assert mine["badge"] == "Perlu dilengkapi"
    assert "Petugas meminta kelengkapan" in answered["detail"]
    assert "• Perkiraan jumlah peserta\n• Proposal acara" in "\n".join(answered["detail"])
    assert answered["withdraw"] == [  # withdrawing asks first
        "Tarik permohonan?",
        "Permohonan ini tidak akan diproses lagi. Tindakan ini tidak dapat dibatalkan.",
        "Batal",
        "Ya, Tarik permohonan",
    ]
    assert answered["editable"] == ["perkiraan_peserta"]
    assert answered["documents_editable"] == ["proposal"]
    assert answered["request"].startswith("Peserta melebihi kapasitas lapangan")
    assert answered["submit_label"] == "Ajukan ulang"
    after = "\n".join(answered["after"])
    assert "Diperiksa" in after and "Perkiraan jumlah peserta: 250" in after

    approved = drive(
        "permit_officer_approves", "--size", "1280x800", "--param", f"application={application_id}"
    )
    assert approved["wide"] and approved["screen"] == "permit_queue"  # the detail is beside
    assert application_id in [row["id"] for row in approved["queue"]]
    assert "Pemohon: Siti Rahmawati" in "\n".join(approved["detail"])
    # Claimed before the request, so still theirs: no "claim", the step's actions instead.
    assert approved["buttons"] == [
        "Setujui",
        "Minta informasi tambahan",
        "Beri komentar",
        "Tolak",  # ends the case: apart, last
    ]
    bar = approved["bar"]  # under the detail, in view
    assert bar["drawn"] and bar["on_screen"] and bar["buttons"] == approved["buttons"]
    # Asking for information offers the type's own fields and documents to name.
    choices = approved["request_choices"]
    assert "Perkiraan jumlah peserta" in choices["fields"] and len(choices["fields"]) == 13
    assert choices["documents"] == [
        "KTP penanggung jawab",
        "Proposal acara",
        "Izin pemilik tempat",
        "Surat pernyataan",
    ]
    assert approved["second_step"] == "koordinasi"
    assert approved["second_buttons"][0] == "Ambil untuk ditangani"
    assert approved["last_step"]["role"] == "supervisor"  # the head's step, out of their hands
    assert application_id not in [row["id"] for row in approved["queue_after"]]

    head = staff("supervisor")
    head.act(application_id, "claim")
    head.act(application_id, "approve", {"note": "Direkomendasikan."})

    issued = drive("permit_issued", "--param", f"application={application_id}")
    [mine] = [row for row in issued["mine"] if row["id"] == application_id]
    assert mine["badge"] == "Terbit"
    detail = "\n".join(issued["detail"])
    assert "Izin terbit" in detail and "Nomor izin: " in detail
    [code_line] = [line for line in detail.splitlines() if line.startswith("Kode verifikasi: ")]
    code = code_line.removeprefix("Kode verifikasi: ")
    verified = httpx.get(f"{api_server.base_url}/api/v1/verifications/{code}").json()
    assert verified["valid"] and verified["holder_name"] == "Siti Rahmawati"
    assert f"/verify/{code}" in detail
    with open(issued["certificate"], "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert "Buka sertifikat" in "\n".join(issued["after_download"])


def test_a_certificate_still_being_prepared_is_explained_on_the_permit(drive, api_server, tmp_path):
    application_id = issue_event_permit(api_server, tmp_path / "scans")
    # Its producer is still at work for longer than the app waits.
    certificate_pending(api_server, application_id, claimed_for=dt.timedelta(minutes=1))
    seen = drive("permit_certificate_preparing", "--param", f"application={application_id}")
    detail = "\n".join(seen["detail"])
    assert "Sertifikat sedang disiapkan. Coba unduh lagi sebentar lagi." in seen["detail"]
    assert "Nomor izin: 503/" in detail  # the permit itself is there
    assert not seen["saved"] and "Disimpan di" not in detail


def test_an_officer_records_the_fee_in_the_app_which_issues_the_permit(staff, drive, tmp_path):
    documents = {
        "ktp": "photo",
        "npwp": "photo",
        "desain-reklame": "pdf",
        "foto-lokasi": "photo",
        "persetujuan-pemilik-lahan": "pdf",
    }
    draft = submit(staff("resident", None), "izin-reklame", BILLBOARD_ANSWERS, documents, tmp_path)
    officer, head = staff("officer", "dpmptsp"), staff("supervisor", "dpmptsp")
    for reviewer in (officer, officer, head):  # verification, site survey, decision
        reviewer.act(draft["id"], "claim")
        billed = reviewer.act(draft["id"], "approve", {"note": None})
    assert billed["status"] == "awaiting_payment"

    seen = drive(
        "permit_officer_records_payment",
        "--size",
        "1280x800",
        "--param",
        f"application={draft['id']}",
    )
    assert "Menunggu pembayaran retribusi" in seen["lists"]
    assert "Catat pembayaran" in seen["buttons"]
    assert seen["prefilled"] == "1500000"  # the billed amount, ready to confirm
    assert seen["wrong_amount"]  # refused by the server, shown under the amount
    issued = "\n".join(seen["issued"])
    assert "Terbit" in issued and "Nomor izin: " in issued
    assert "Dibayar" in issued and "kuitansi KW-2026-0117" in issued
    assert "Jumlah: Rp 1.500.000" in issued


def test_a_supervisor_takes_over_a_step_a_colleague_holds(staff, drive, tmp_path):
    documents = {"ktp": "photo", "proposal": "pdf", "izin-tempat": "pdf", "surat-pernyataan": "pdf"}
    application = submit(staff("resident", None), EVENT_PERMIT, EVENT_ANSWERS, documents, tmp_path)
    staff("officer").act(application["id"], "claim")  # the first step is the officer's now

    seen = drive(
        "permit_take_over", "--size", "1280x800", "--param", f"application={application['id']}"
    )
    bar = seen["bar"]  # the actions under the page, in view
    assert bar["drawn"] and bar["on_screen"] and bar["buttons"] == seen["buttons"]
    # Claiming a step a colleague holds would be refused: taking it over is offered instead.
    assert seen["buttons"][0] == "Ambil alih tahap"
    assert "Ambil untuk ditangani" not in seen["buttons"] and "Setujui" not in seen["buttons"]
    assert seen["notice"] == ""
    assert seen["after"] == [
        "Setujui",
        "Minta informasi tambahan",
        "Tugaskan ke petugas",
        "Beri komentar",
        "Tolak",
    ]
    assert "Ambil alih tahap" in seen["timeline"]
    assert seen["reject_dialog"] == [
        "Tolak?",
        "Tindakan ini mengakhiri penanganan dan tidak dapat dibatalkan.",
        "Batal",
        "Ya, Tolak",
    ]


def test_another_application_in_the_queue_is_read_from_its_top(staff, drive, tmp_path):
    documents = {"ktp": "photo", "proposal": "pdf", "izin-tempat": "pdf", "surat-pernyataan": "pdf"}
    resident = staff("resident", None)
    first, second = (
        submit(resident, EVENT_PERMIT, EVENT_ANSWERS, documents, tmp_path / str(n))
        for n in range(2)
    )
    seen = drive(
        "permit_queue_switch",
        "--size",
        "1280x800",
        "--param",
        f"first={first['id']}",
        "--param",
        f"second={second['id']}",
    )
    assert seen["scrolled"] < 0  # read to its end: the title is out of sight
    # The next one starts at the top of the pane: no offset kept, no blank band above it.
    assert 0 <= seen["switched"] <= 24
    assert seen["title"] == "Rekomendasi Penyelenggaraan Keramaian"

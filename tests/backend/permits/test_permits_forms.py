"""Applying: each demo permit type's form is enforced field by field, drafts stay editable and
private, documents are checked by content, and submitting names everything still missing."""

import pytest

from tests.backend.permits.conftest import ANSWERS, PERMIT_TYPES, pdf_file, png_file

# For each demo type: answers that break one rule each, and the fields they must be reported at.
BAD_ANSWERS = {
    "izin-reklame": {
        "nama_pemohon": "Si",  # min_length 3
        "npwp": "12.345.678",  # pattern: 15 or 16 digits
        "jenis_reklame": "spanduk",  # not a choice
        "lebar_m": 25,  # max_value 20
        "jumlah_sisi": 1.5,  # integer
        "lokasi": {"latitude": 120, "longitude": 106.7},
        "mulai_tayang": "2027-02-30",
        "berlistrik": "ya",
    },
    "pbg": {
        "nik": "1234",
        "email": "siti(at)example.com",
        "fungsi_bangunan": "pabrik",
        "luas_lahan_m2": 5,  # min_value 10
        "jumlah_lantai": 61,
        "prasarana": ["parkir", "kolam-renang"],
        "warna_cat": "biru",  # not a field of this form
    },
    "sip-nakes": {
        "tanggal_lahir": "15-06-1992",
        "telepon": "12345",
        "profesi": "dukun",
        "nomor_str": "STR 12",  # pattern and min_length
        "sip_ke": 4,
    },
    "rekomendasi-keramaian": {
        "nama_acara": "x" * 151,
        "perkiraan_peserta": 10,  # min_value 50
        "menutup_jalan": 1,
        "dukungan": ["lalu-lintas", "kebersihan", "ambulans", "pemadam"],  # at most 3
    },
}


def error_fields(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize("permit_type", PERMIT_TYPES)
async def test_a_complete_valid_form_is_accepted_and_cleaned(permits, permit_type):
    application = await permits.draft(permit_type)
    assert application["status"] == "draft"
    assert application["registration_number"].startswith("IZN-")
    assert set(application["answers"]) == set(ANSWERS[permit_type])
    if "telepon" in application["answers"]:
        assert application["answers"]["telepon"] == "+6281234567890"  # normalised


@pytest.mark.parametrize("permit_type", PERMIT_TYPES)
async def test_every_bad_answer_is_named_at_its_field(permits, client, permit_type):
    headers = await permits.auth(permits.demo.resident)
    response = await client.post(
        "/api/v1/permits/applications",
        json={"permit_type": permit_type, "answers": BAD_ANSWERS[permit_type]},
        headers=headers,
    )
    assert response.status_code == 422
    assert error_fields(response) == {f"answers.{code}" for code in BAD_ANSWERS[permit_type]}


@pytest.mark.parametrize(
    ("language", "message"),
    [("id", "Bukan isian formulir ini."), ("en", "Not a field of this form.")],
)
async def test_field_errors_speak_the_callers_language(permits, client, language, message):
    headers = {**await permits.auth(permits.demo.resident), "Accept-Language": language}
    response = await client.post(
        "/api/v1/permits/applications",
        json={"permit_type": "pbg", "answers": {"warna_cat": "biru"}},
        headers=headers,
    )
    assert response.json()["errors"][0]["message"] == message


async def test_submitting_an_incomplete_draft_names_every_missing_field_and_document(permits):
    permit_type = await permits.permit_type("pbg")
    application = await permits.draft("pbg", answers={"nama_pemilik": "Siti Rahmawati"})
    await permits.upload(application, "ktp")
    response = await permits.call(
        "POST",
        f"/api/v1/permits/applications/{application['id']}/actions/submit",
        permits.demo.resident,
        expect=422,
    )
    problem = response.json()
    assert problem["code"] == "application_incomplete"
    required_fields = {f["code"] for f in permit_type["form"] if f["required"]} - {"nama_pemilik"}
    required_documents = {d["code"] for d in permit_type["documents"] if d["required"]} - {"ktp"}
    assert error_fields(response) == {f"answers.{c}" for c in required_fields} | {
        f"documents.{c}" for c in required_documents
    }
    assert (await permits.get(application))["status"] == "draft"


async def test_a_draft_is_edited_merged_and_deleted_by_its_applicant(permits, client):
    application = await permits.draft("izin-reklame", answers={"nama_pemohon": "Siti"})
    url = f"/api/v1/permits/applications/{application['id']}"
    changed = await permits.call(
        "PATCH",
        url,
        permits.demo.resident,
        json={"answers": {"jenis_reklame": "baliho", "nama_pemohon": None}},
    )
    assert changed.json()["answers"] == {"jenis_reklame": "baliho"}
    bad = await permits.call(
        "PATCH", url, permits.demo.resident, json={"answers": {"lebar_m": 0}}, expect=422
    )
    assert error_fields(bad) == {"answers.lebar_m"}
    await permits.call("DELETE", url, permits.demo.resident, expect=204)
    await permits.call("GET", url, permits.demo.resident, expect=404)


async def test_drafts_are_private_even_from_the_agency(permits):
    application = await permits.draft("izin-reklame")
    url = f"/api/v1/permits/applications/{application['id']}"
    await permits.call("GET", url, permits.demo.officer("dpmptsp"), expect=404)
    await permits.call("GET", url, permits.demo.admin, expect=404)
    listed = await permits.call(
        "GET", "/api/v1/permits/applications", permits.demo.officer("dpmptsp")
    )
    assert listed.json()["items"] == []


async def test_documents_are_checked_by_content_kind_and_size(permits, client):
    application = await permits.draft("izin-reklame")
    base = f"/api/v1/permits/applications/{application['id']}/documents"
    headers = await permits.auth(permits.demo.resident)

    async def upload(kind: str, name: str, content: bytes, media: str):
        return await client.post(
            f"{base}/{kind}", files={"file": (name, content, media)}, headers=headers
        )

    # A text file named .pdf is not a PDF.
    fake = await upload("ktp", "ktp.pdf", b"%PDF-1.7 not really", "application/pdf")
    assert fake.status_code == 422 and fake.json()["code"] == "invalid_file"
    # The landowner's consent must be a PDF; a photo is refused.
    photo = await upload("persetujuan-pemilik-lahan", "surat.png", png_file(), "image/png")
    assert photo.status_code == 422
    # The KTP is limited to 2 MB by the pack.
    big = await upload("ktp", "ktp.pdf", pdf_file() + b"\0" * (2 * 1024 * 1024), "application/pdf")
    assert big.status_code == 413
    unknown = await upload("paspor", "paspor.pdf", pdf_file(), "application/pdf")
    assert unknown.status_code == 404
    # A photo is re-encoded as JPEG; a second upload of a kind replaces the first.
    first = await upload("foto-lokasi", "lokasi.png", png_file(), "image/png")
    assert first.status_code == 201 and first.json()["media_type"] == "image/jpeg"
    second = await upload("foto-lokasi", "lokasi-2.png", png_file(), "image/png")
    assert second.json()["id"] == first.json()["id"]
    detail = await permits.get(application)
    assert [(d["kind"], d["file_name"]) for d in detail["documents"]] == [
        ("foto-lokasi", "lokasi-2.png")
    ]
    download = await client.get(f"{base}/{first.json()['id']}", headers=headers)
    assert download.status_code == 200 and download.content.startswith(b"\xff\xd8")


async def test_creation_with_an_idempotency_key_happens_once(permits, client):
    headers = {**await permits.auth(permits.demo.resident), "Idempotency-Key": "draft-0001-abcd"}
    body = {"permit_type": "sip-nakes", "answers": ANSWERS["sip-nakes"]}
    first = await client.post("/api/v1/permits/applications", json=body, headers=headers)
    retry = await client.post("/api/v1/permits/applications", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["id"] == first.json()["id"]
    listed = await permits.call("GET", "/api/v1/permits/applications", permits.demo.resident)
    assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]
    other_body = {"permit_type": "pbg", "answers": {}}
    reused = await client.post("/api/v1/permits/applications", json=other_body, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


async def test_idempotent_submission_replays_instead_of_failing(permits, client):
    application = await permits.draft("rekomendasi-keramaian")
    for kind in ("ktp", "proposal", "izin-tempat", "surat-pernyataan"):
        await permits.upload(application, kind)
    headers = {**await permits.auth(permits.demo.resident), "Idempotency-Key": "submit-0001-x"}
    url = f"/api/v1/permits/applications/{application['id']}/actions/submit"
    first = await client.post(url, headers=headers)
    retry = await client.post(url, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["status"] == "submitted"
    # Without the key, a second submission is a conflict, not a silent success.
    again = await client.post(url, headers=await permits.auth(permits.demo.resident))
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


async def test_only_residents_apply(permits, client):
    headers = await permits.auth(permits.demo.officer("dpmptsp"))
    response = await client.post(
        "/api/v1/permits/applications", json={"permit_type": "pbg"}, headers=headers
    )
    assert response.status_code == 403
    unknown = await permits.call(
        "POST",
        "/api/v1/permits/applications",
        permits.demo.resident,
        json={"permit_type": "izin-tambang"},
        expect=404,
    )
    assert unknown.json()["code"] == "not_found"

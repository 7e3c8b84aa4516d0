"""Shared file storage on an S3-compatible server (moto's standalone server, speaking the S3
protocol over HTTP on loopback): what one host stores, another serves; a failed upload leaves no
row pointing at a missing file."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.complaints.models import ComplaintPhoto
from backend.config import Settings
from backend.uploads import S3FileStore, StorageUnavailable, file_store
from tests.backend.complaints.complaint_helpers import complaint_body, jpeg_bytes
from tests.backend.permits.conftest import ANSWERS, pdf_file, png_file
from tests.live_server import another_host, free_port, live_server

CREDENTIALS = {"aws_access_key_id": "warga-test", "aws_secret_access_key": "warga-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"warga-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=name)
    return name


def _s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "WARGA_STORAGE_BACKEND": "s3",
        "WARGA_S3_ENDPOINT_URL": endpoint,
        "WARGA_S3_BUCKET": bucket,
        "WARGA_S3_PREFIX": "kota-demo/media",
        "WARGA_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "WARGA_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


def _s3_settings(endpoint: str, bucket: str) -> Settings:
    environment = _s3_environment(endpoint, bucket)
    return Settings(**{k.removeprefix("WARGA_").lower(): v for k, v in environment.items()})


def test_the_s3_store_keeps_files_by_content(s3_endpoint, bucket):
    store = file_store(_s3_settings(s3_endpoint, bucket))
    assert isinstance(store, S3FileStore)
    key = store.save(b"%PDF-1.7 sertifikat")
    assert store.save(b"%PDF-1.7 sertifikat") == key  # the same content, the same object
    assert store.read(key) == b"%PDF-1.7 sertifikat"
    objects = store.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in objects] == [f"kota-demo/media/{key[:2]}/{key}"]
    with pytest.raises(FileNotFoundError):
        store.read("0" * 64)


def test_an_unreachable_bucket_is_a_retryable_503(s3_endpoint):
    store = file_store(_s3_settings(s3_endpoint, "no-such-bucket"))
    with pytest.raises(StorageUnavailable) as raised:
        store.save(b"foto")
    assert raised.value.status == 503
    assert raised.value.headers["Retry-After"]


def _login(http: httpx.Client, account) -> dict[str, str]:
    response = http.post(
        "/api/v1/auth/token", data={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _file_complaint(http: httpx.Client, headers: dict[str, str]) -> dict:
    return _ok(http.post("/api/v1/complaints", json=complaint_body(), headers=headers), 201)


def _issue_billboard_permit(http: httpx.Client, server) -> tuple[str, dict, int]:
    """Through one host: a resident applies with documents, staff approve, the fee is paid.
    Returns the application's URL, the resident's headers and one document's id."""
    resident = _login(http, server.account("resident"))
    officer = _login(http, server.account("officer", "dpmptsp"))
    head = _login(http, server.account("supervisor", "dpmptsp"))
    permit_type = _ok(http.get("/api/v1/permit-types/izin-reklame"))
    body = {"permit_type": "izin-reklame", "answers": ANSWERS["izin-reklame"]}
    draft = _ok(http.post("/api/v1/permits/applications", json=body, headers=resident), 201)
    url = f"/api/v1/permits/applications/{draft['id']}"
    documents = []
    for kind in permit_type["documents"]:
        if kind["required"]:
            photo = kind["media_types"] == ["image/jpeg", "image/png"]
            file = (
                ("foto.png", png_file(), "image/png")
                if photo
                else ("berkas.pdf", pdf_file(), "application/pdf")
            )
            uploaded = http.post(
                f"{url}/documents/{kind['code']}", files={"file": file}, headers=resident
            )
            documents.append(_ok(uploaded, 201)["id"])
    _ok(http.post(f"{url}/actions/submit", headers=resident))
    for step in permit_type["steps"]:
        staff = officer if step["role"] == "officer" else head
        _ok(http.post(f"{url}/actions/claim", headers=staff))
        decided = _ok(http.post(f"{url}/actions/approve", json={"note": "Sesuai."}, headers=staff))
    payment = {
        "receipt_number": "KW-S3-1",
        "amount": decided["payment"]["amount"],
        "paid_on": decided["created_at"][:10],
    }
    issued = _ok(http.post(f"{url}/actions/record-payment", json=payment, headers=officer))
    assert issued["status"] == "issued"
    return url, resident, documents[0]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_files_stored_through_host_a_are_served_by_host_b(
    engine: Engine, database_url: str, tmp_path: Path, s3_endpoint: str, bucket: str
):
    storage = {
        **_s3_environment(s3_endpoint, bucket),
        # The hosts share the city's signing key as they share the bucket (docs/deploy.md).
        "WARGA_SIGNING_KEY_FILE": str(tmp_path / "city-key.pem"),
    }
    with (
        live_server(tmp_path / "a", database_url=database_url, environment=storage) as host_a,
        another_host(host_a, tmp_path / "b", environment=storage) as host_b,
        httpx.Client(base_url=host_a.base_url, timeout=20) as on_a,
        httpx.Client(base_url=host_b.base_url, timeout=20) as on_b,
    ):
        # A complaint photo.
        resident = _login(on_a, host_a.account("resident"))
        complaint = _file_complaint(on_a, resident)
        photos = on_a.post(
            f"/api/v1/complaints/{complaint['id']}/photos",
            files=[("files", ("lubang.jpg", jpeg_bytes(), "image/jpeg"))],
            headers=resident,
        )
        photo = _ok(photos, 201)[0]
        on_a_photo = on_a.get(f"/api/v1/complaints/{complaint['id']}/photos/{photo['id']}")
        on_b_photo = on_b.get(f"/api/v1/complaints/{complaint['id']}/photos/{photo['id']}")
        assert on_b_photo.status_code == 200, on_b_photo.text
        assert on_b_photo.content == on_a_photo.content

        # A permit's document and its certificate.
        url, permit_resident, document_id = _issue_billboard_permit(on_a, host_a)
        document = on_b.get(f"{url}/documents/{document_id}", headers=permit_resident)
        assert document.status_code == 200, document.text
        certificate = on_b.get(f"{url}/certificate", headers=permit_resident)
        assert certificate.status_code == 200, certificate.text
        assert certificate.content.startswith(b"%PDF")
        from_a = on_a.get(f"{url}/certificate", headers=permit_resident)
        assert certificate.content == from_a.content

    # Nothing landed on either host's disk.
    assert not (tmp_path / "a" / "media").exists()
    assert not (tmp_path / "b" / "media").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_photo_the_store_did_not_take_leaves_no_row(
    engine: Engine, database_url: str, tmp_path: Path, s3_endpoint: str
):
    broken = _s3_environment(s3_endpoint, "no-such-bucket")
    with (
        live_server(tmp_path / "a", database_url=database_url, environment=broken) as host,
        httpx.Client(base_url=host.base_url, timeout=20) as http,
    ):
        resident = _login(http, host.account("resident"))
        complaint = _file_complaint(http, resident)
        response = http.post(
            f"/api/v1/complaints/{complaint['id']}/photos",
            files=[("files", ("lubang.jpg", jpeg_bytes(), "image/jpeg"))],
            headers=resident,
        )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ComplaintPhoto)) == 0

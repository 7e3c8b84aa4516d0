"""Permit fixtures: valid answers for every demo permit type, real sample files, and a driver that
takes applications through the API the way their applicant and the agency's staff would."""

import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import event

from backend.main import create_app
from tests.backend.helpers import login

VALID_NIK = "3674015506920001"
LOCATION = {"latitude": -6.3, "longitude": 106.7}

# A complete, valid application form for each permit type of the demo pack.
ANSWERS: dict[str, dict[str, Any]] = {
    "izin-reklame": {
        "nama_pemohon": "Siti Rahmawati",
        "nik": VALID_NIK,
        "telepon": "0812-3456-7890",
        "npwp": "012345678901234",
        "jenis_reklame": "papan",
        "naskah_reklame": "Toko Kue Bu Siti - enak dan murah",
        "lebar_m": 3,
        "tinggi_m": 2,
        "jumlah_sisi": 1,
        "lokasi": LOCATION,
        "alamat_lokasi": "Jl. Raya Setu No. 12",
        "status_lahan": "sewa",
        "mulai_tayang": "2027-01-04",
        "berlistrik": False,
    },
    "pbg": {
        "nama_pemilik": "Siti Rahmawati",
        "nik": VALID_NIK,
        "telepon": "081234567890",
        "email": "siti@example.com",
        "jenis_kegiatan": "bangunan-baru",
        "fungsi_bangunan": "hunian",
        "lokasi": LOCATION,
        "alamat_bangunan": "Perumahan Harapan Indah Blok C2 No. 7",
        "nomor_sertifikat": "SHM 1234/Setu",
        "luas_lahan_m2": 120,
        "luas_bangunan_m2": 90,
        "jumlah_lantai": 2,
        "prasarana": ["sumur-resapan", "parkir"],
        "perencana_bersertifikat": True,
    },
    "sip-nakes": {
        "nama_lengkap": "dr. Siti Rahmawati",
        "nik": VALID_NIK,
        "tanggal_lahir": "1992-06-15",
        "telepon": "081234567890",
        "email": "siti@example.com",
        "profesi": "dokter",
        "nomor_str": "STR-1234567/2025",
        "nama_fasilitas": "Klinik Sehat Setu",
        "jenis_fasilitas": "klinik",
        "alamat_fasilitas": "Jl. Puspiptek No. 3",
        "sip_ke": 1,
    },
    "rekomendasi-keramaian": {
        "nama_penyelenggara": "Karang Taruna RW 05",
        "nik": VALID_NIK,
        "telepon": "081234567890",
        "nama_acara": "Jalan Sehat Hari Jadi Kota",
        "jenis_acara": "olahraga",
        "tanggal_mulai": "2027-02-07",
        "tanggal_selesai": "2027-02-07",
        "perkiraan_peserta": 500,
        "lokasi": LOCATION,
        "alamat_lokasi": "Lapangan Kecamatan Setu",
        "menutup_jalan": True,
        "dukungan": ["lalu-lintas", "ambulans"],
    },
}
PERMIT_TYPES = sorted(ANSWERS)
AGENCY_OF = {
    "izin-reklame": "dpmptsp",
    "pbg": "dbpr",
    "sip-nakes": "dinkes",
    "rekomendasi-keramaian": "kesbangpol",
}


def pdf_file() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_file() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def settings(settings, tmp_path_factory):
    """Uploads, certificates and the city's signing key stay in the test run's own directory."""
    files = tmp_path_factory.getbasetemp() / "permits"
    return settings.model_copy(
        update={"media_dir": files / "media", "signing_key_file": files / "city-key.pem"}
    )


@pytest.fixture(scope="session")
def _apps() -> dict:
    return {}


@pytest.fixture
async def app(settings, engine, _apps):
    """One application per database for the whole run: building one costs more than a test.
    Its async read connections belong to one test's event loop, so they close with it."""
    if settings.database_url not in _apps:
        _apps[settings.database_url] = create_app(settings)
    app = _apps[settings.database_url]
    yield app
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()


@dataclass
class PermitsDriver:
    """Drives the permits API as residents and staff; every call checks its status code."""

    client: httpx.AsyncClient
    demo: Any
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    async def auth(self, account) -> dict[str, str]:
        if account.username not in self._headers:
            self._headers[account.username] = await login(
                self.client, account.username, account.password
            )
        return self._headers[account.username]

    async def call(
        self, method: str, url: str, account, *, expect: int = 200, **kwargs
    ) -> httpx.Response:
        response = await self.client.request(
            method, url, headers=await self.auth(account), **kwargs
        )
        assert response.status_code == expect, response.text
        return response

    async def draft(self, permit_type: str, answers: dict | None = None, account=None) -> dict:
        body = {
            "permit_type": permit_type,
            "answers": ANSWERS[permit_type] if answers is None else answers,
        }
        response = await self.call(
            "POST",
            "/api/v1/permits/applications",
            account or self.demo.resident,
            json=body,
            expect=201,
        )
        return response.json()

    async def upload(self, application: dict, kind: str, account=None, *, expect=201) -> dict:
        permit_type = await self.permit_type(application["permit_type"]["code"])
        media_types = next(k["media_types"] for k in permit_type["documents"] if k["code"] == kind)
        content, name, media = (
            (pdf_file(), f"{kind}.pdf", "application/pdf")
            if "application/pdf" in media_types
            else (png_file(), f"{kind}.png", "image/png")
        )
        response = await self.call(
            "POST",
            f"/api/v1/permits/applications/{application['id']}/documents/{kind}",
            account or self.demo.resident,
            files={"file": (name, content, media)},
            expect=expect,
        )
        return response.json()

    async def permit_type(self, code: str) -> dict:
        return (await self.client.get(f"/api/v1/permit-types/{code}")).json()

    async def submitted(self, permit_type: str, account=None) -> dict:
        application = await self.draft(permit_type, account=account)
        for kind in (await self.permit_type(permit_type))["documents"]:
            if kind["required"]:
                await self.upload(application, kind["code"], account)
        return await self.act(account or self.demo.resident, application, "submit")

    async def act(
        self,
        account,
        application: dict,
        action: str,
        body: dict | None = None,
        *,
        expect: int = 200,
    ) -> dict:
        response = await self.call(
            "POST",
            f"/api/v1/permits/applications/{application['id']}/actions/{action}",
            account,
            json=body or {},
            expect=expect,
        )
        return response.json()

    def staff_for(self, permit_type: str, role: str):
        agency = AGENCY_OF[permit_type]
        return self.demo.officer(agency) if role == "officer" else self.demo.supervisor(agency)

    async def through_review(self, application: dict) -> dict:
        """Claim and approve every step, each by the role the pack names."""
        code = application["permit_type"]["code"]
        for step in (await self.permit_type(code))["steps"]:
            staff = self.staff_for(code, step["role"])
            await self.act(staff, application, "claim")
            application = await self.act(staff, application, "approve", {"note": "Sesuai."})
        return application

    async def issued(self, permit_type: str) -> dict:
        application = await self.through_review(await self.submitted(permit_type))
        if application["status"] == "awaiting_payment":
            application = await self.act(
                self.staff_for(permit_type, "officer"),
                application,
                "record-payment",
                {
                    "receipt_number": "KW-0001",
                    "amount": application["payment"]["amount"],
                    "paid_on": application["submitted_at"][:10],
                },
            )
        assert application["status"] == "issued", application
        return application

    async def get(self, application: dict, account=None) -> dict:
        url = f"/api/v1/permits/applications/{application['id']}"
        return (await self.call("GET", url, account or self.demo.resident)).json()


@pytest.fixture
def permits(client, demo) -> PermitsDriver:
    return PermitsDriver(client=client, demo=demo)


@contextmanager
def first_writes_held_until_both_arrive(engine):
    """Make each of two requests wait, just before it writes the application, until the other
    has read it too: both then decide on the same row version, and only one write can match."""
    barrier = threading.Barrier(2)
    arrived: set[int] = set()

    def wait_for_the_other(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE permit_application") and (
            threading.get_ident() not in arrived
        ):
            arrived.add(threading.get_ident())
            barrier.wait(timeout=20)

    event.listen(engine, "before_cursor_execute", wait_for_the_other)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", wait_for_the_other)

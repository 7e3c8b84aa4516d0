"""Small helpers the app's tests share."""

import datetime as dt
from pathlib import Path
from uuid import uuid4

import httpx
from PIL import Image
from sqlalchemy import update

from backend.database import open_engine
from backend.db import utcnow
from backend.permits.models import PermitApplication
from mobile.core.api import ApiClient
from mobile.core.tokens import TokenStore
from tests.live_server import LiveServer


class RecordingTransport(httpx.AsyncHTTPTransport):
    """A real transport that remembers every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)

    def count(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)


class RecordedClient(ApiClient):
    """An `ApiClient` whose requests can be inspected through `.transport`."""

    def __init__(self, base_url: str, tokens: TokenStore, **kwargs) -> None:
        self.transport = RecordingTransport()
        super().__init__(base_url, tokens=tokens, transport=self.transport, **kwargs)


# A complete application for the fee-free event recommendation, shaped as the API stores
# answers; `FormView.fill` puts each into its input as a resident would type or tick it.
EVENT_ANSWERS = {
    "nama_penyelenggara": "Karang Taruna RW 05",
    "nik": "3674015506920001",
    "telepon": "0812-3456-7890",
    "nama_acara": "Jalan sehat hari jadi kota",
    "jenis_acara": "olahraga",
    "tanggal_mulai": "2026-12-20",
    "tanggal_selesai": "2026-12-20",
    "perkiraan_peserta": 300,
    "lokasi": {"latitude": -6.2901, "longitude": 106.7102},
    "alamat_lokasi": "Lapangan Merdeka, Jl. Pahlawan",
    "menutup_jalan": True,
    "dukungan": ["lalu-lintas", "kebersihan"],
}


# A complete billboard permit application (a type with a fee), for a DPMPTSP queue.
BILLBOARD_ANSWERS = {
    "nama_pemohon": "Siti Rahmawati",
    "nik": "3674015506920001",
    "telepon": "0812-3456-7890",
    "email": "siti@example.com",
    "npwp": "012345678901234",
    "jenis_reklame": "papan",
    "naskah_reklame": "Toko Roti Sari: roti hangat setiap pagi, buka 07.00 sampai 21.00.",
    "lebar_m": 3,
    "tinggi_m": 2,
    "jumlah_sisi": 1,
    "lokasi": {"latitude": -6.2912, "longitude": 106.6653},
    "alamat_lokasi": "Jl. Raya Serpong No. 45, Serpong",
    "status_lahan": "sewa",
    "mulai_tayang": "2027-01-04",
    "berlistrik": True,
}


def scans(folder: Path) -> dict[str, Path]:
    """A one-page PDF and a JPEG photo, like a resident's scans."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"pdf": folder / "surat.pdf", "photo": folder / "foto.jpg"}
    Image.new("RGB", (595, 842), "white").save(files["pdf"], "PDF")
    Image.new("RGB", (800, 500), (200, 190, 170)).save(files["photo"], "JPEG")
    return files


# A pothole report: the category routes it to DBMSDA, whose officer verifies it.
POTHOLE = {
    "category": "jalan-rusak",
    "title": "Lubang di Jl. Merpati",
    "description": "Lubang sedalam 15 cm di depan sekolah, berbahaya bagi motor.",
    "latitude": -6.2951,
    "longitude": 106.7101,
    "answers": {"ukuran_lubang": "sedang", "membahayakan": True},
}


async def file_pothole(api: ApiClient) -> dict:
    """File `POTHOLE` straight through the API, as the signed-in resident."""
    return await api.send("POST", "/complaints", body=POTHOLE, idempotency_key=uuid4().hex)


async def claim_and_verify(officer: ApiClient, complaint_id: int) -> dict:
    """The officer claims the complaint, then verifies it: the reporter's inbox gets an entry."""
    complaint = (await officer.complaint(complaint_id)).data
    claimed = await officer.complaint_action(
        complaint_id, "claim", None, version=complaint["version"]
    )
    note = {"note": "Sudah dicek di lokasi."}
    return await officer.complaint_action(complaint_id, "verify", note, version=claimed["version"])


EVENT_PERMIT = "rekomendasi-keramaian"
# Each required document kind of the event permit, and which scan it gets.
EVENT_DOCUMENTS = {
    "ktp": "photo",
    "proposal": "pdf",
    "izin-tempat": "pdf",
    "surat-pernyataan": "pdf",
}


def issue_event_permit(server: LiveServer, folder: Path) -> int:
    """An event recommendation applied for, reviewed step by step and issued, straight through
    the API by the resident and Kesbangpol's staff; returns its application id."""
    clients: dict[str, httpx.Client] = {}

    def as_role(role: str) -> httpx.Client:
        if role not in clients:
            account = server.account(role, None if role == "resident" else "kesbangpol")
            client = clients[role] = httpx.Client(base_url=f"{server.base_url}/api/v1")
            token = client.post(
                "/auth/token", data={"username": account.username, "password": account.password}
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
        return clients[role]

    def post(role: str, path: str, **kwargs) -> dict:
        response = as_role(role).post(path, **kwargs)
        assert response.is_success, response.text
        return response.json()

    try:
        draft = post(
            "resident",
            "/permits/applications",
            json={"permit_type": EVENT_PERMIT, "answers": EVENT_ANSWERS},
        )
        actions = f"/permits/applications/{draft['id']}/actions"
        files = scans(folder)
        for kind, scan in EVENT_DOCUMENTS.items():
            path = files[scan]
            post(
                "resident",
                f"/permits/applications/{draft['id']}/documents/{kind}",
                files={"file": (path.name, path.read_bytes())},
            )
        post("resident", f"{actions}/submit", json={})
        steps = as_role("resident").get(f"/permit-types/{EVENT_PERMIT}").json()["steps"]
        for step in steps:
            post(step["role"], f"{actions}/claim", json={})
            decided = post(step["role"], f"{actions}/approve", json={"note": None})
        assert decided["status"] == "issued", decided
        return draft["id"]
    finally:
        for client in clients.values():
            client.close()


def certificate_pending(
    server: LiveServer, application_id: int, *, claimed_for: dt.timedelta | None = None
) -> None:
    """As if the permit's certificate were not produced yet: no file, and a producer's claim on
    it for `claimed_for` (None: no claim, so the certificates job would produce it)."""
    engine = open_engine(server.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(PermitApplication)
                .where(PermitApplication.id == application_id)
                .values(
                    certificate_key=None,
                    certificate_claimed_until=utcnow() + claimed_for if claimed_for else None,
                )
            )
    finally:
        engine.dispose()

"""Complaints in the real app, headless, against the real server: filing with a photo, the
officer's queue and actions on a wide window, rating and a language switch, filing offline."""

import httpx
import pytest
from PIL import Image

from tests.live_server import free_port


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "lubang.jpg"
    Image.new("RGB", (640, 480), (120, 110, 90)).save(path, "JPEG")
    return path


def my_complaints_on_the_server(api_server, title: str) -> list[dict]:
    resident = api_server.account("resident")
    with httpx.Client(base_url=api_server.base_url) as http:
        token = http.post(
            "/api/v1/auth/token",
            data={"username": resident.username, "password": resident.password},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        mine = http.get("/api/v1/complaints/mine?limit=100", headers=headers).json()["items"]
        return [
            http.get(f"/api/v1/complaints/{c['id']}", headers=headers).json()
            for c in mine
            if c["title"] == title
        ]


def test_filed_with_a_photo_claimed_and_resolved_by_the_officer_then_rated(drive, photo):
    title = "Lubang besar di Jl. Pahlawan"
    filed = drive(
        "file_complaint",
        "--param",
        f"title={title}",
        "--param",
        f"photo={photo}",
        "--param",
        "latitude=-6.2901",
    )
    [mine] = [row for row in filed["mine"] if row["title"] == title]
    assert mine["badge"] == "Diajukan"
    assert mine["line"].startswith("ADU-") and "Jalan rusak" in mine["line"]
    assert "Batas waktu" in mine["line"]
    assert title in filed["detail"] and "Foto (1)" in filed["detail"]
    assert "Perkiraan ukuran kerusakan: Besar (lebih dari 1 m)" in "\n".join(filed["detail"])
    assert filed["buttons"] == ["Beri komentar"]
    # The photo opens full screen at its own size (not the thumbnail's) and zooms.
    assert filed["viewer"] == {"full_screen": True, "photo_size": [640, 480], "zoomed": True}
    assert filed["after_viewer"] == "complaint"
    assert filed["spot"] == {"drawn": True, "pin": [-6.2901, 106.7163]}  # its place, on a map
    complaint = str(filed["complaint_id"])

    neighbour = drive(
        "neighbour_supports", "--param", f"photo={photo}", "--param", "latitude=-6.2901"
    )
    [number] = [line for line in mine["line"].split(" · ") if line.startswith("ADU-")]
    assert f"{title} ({number})" in neighbour["nearby"]  # the likely duplicate, before sending
    # ... and on a map, beside the resident's own pin.
    assert neighbour["nearby_map"]["drawn"]
    assert neighbour["nearby_map"]["pin"] == [-6.2898, 106.7163]
    assert number in neighbour["nearby_map"]["markers"]
    assert neighbour["submit_disabled"]
    assert f"Terima kasih, dukungan Anda untuk {number} tercatat." in neighbour["snackbar"]
    assert neighbour["outbox"] == 0  # nothing filed
    assert "Anda sudah mendukung laporan ini." in neighbour["nearby_again"]
    assert "Dukung laporan ini" not in neighbour["nearby_again"]

    officer = drive(
        "officer_resolves",
        "--size",
        "1280x800",
        "--param",
        f"complaint={complaint}",
        "--param",
        f"photo={photo}",
    )
    assert officer["wide"] and officer["screen"] == "complaint_queue"  # the detail is beside
    assert title in [row["title"] for row in officer["queue"]]
    # Claiming first (the main action), the ones that end the case last.
    assert officer["buttons_new"] == [
        "Ambil untuk ditangani",
        "Verifikasi",
        "Teruskan ke dinas lain",
        "Beri komentar",
        "Tolak",
        "Tandai duplikat",
    ]
    assert officer["assignee"] == "Petugas dbmsda"
    assert "Didukung 1 warga" in officer["facts"]
    assert officer["assigned_to_me"] == [int(complaint)]  # the "assigned to me" filter
    assert officer["missing_note"] == "Wajib diisi."
    assert officer["status"] == "resolved"
    assert officer["buttons_resolved"] == ["Tutup"]
    assert title not in [row["title"] for row in officer["queue_after"]]  # open ones only

    rated = drive("resident_rates", "--param", f"complaint={complaint}")
    assert rated["buttons"] == ["Buka kembali", "Beri penilaian"]
    assert rated["rating"] == 5
    assert "Lubang sudah ditambal dengan aspal." in "\n".join(rated["texts"])
    # The agency's "after" photo, beside the reporter's, and its line in the timeline.
    assert {"Foto (1)", "Foto dari dinas (1)"} <= set(rated["texts"])
    assert "Foto ditambahkan" in "\n".join(rated["texts"])
    assert rated["buttons_after"] == ["Buka kembali"]
    # Switching the language redraws the open complaint at once.
    assert {"Rincian pengaduan", "Riwayat", "Selesai"} <= set(rated["texts"])
    assert {"Complaint details", "History", "Resolved", "Reopen"} <= set(rated["texts_en"])
    assert "Riwayat" not in rated["texts_en"]


def test_filed_offline_is_sent_exactly_once_after_a_restart(drive, api_server, photo, tmp_path):
    title = "Sampah menumpuk di pinggir jalan"
    data_dir = tmp_path / "phone"
    offline = drive(
        "file_offline",
        "--param",
        f"title={title}",
        "--param",
        f"photo={photo}",
        "--param",
        "latitude=-6.2502",
        "--param",
        f"offline_api=http://127.0.0.1:{free_port()}",
        data_dir=data_dir,
    )
    assert "Laporan disimpan di kotak keluar" in offline["confirmation"]
    assert not [text for text in offline["confirmation"] if text.startswith("ADU-")]
    assert offline["mine"][0] == {
        "title": title,
        "badge": "Menunggu dikirim",
        "line": "Akan dikirim saat koneksi tersedia",
    }
    assert offline["waiting"] == [["complaint", title], ["complaint_photos", title]]
    assert my_complaints_on_the_server(api_server, title) == []

    back = drive("send_waiting", data_dir=data_dir)  # restarted, the server reachable again
    assert back["statuses"] == ["sent", "sent"]
    assert [row["badge"] for row in back["mine"] if row["title"] == title] == ["Diajukan"]
    assert back["again"] == 0  # nothing is sent twice

    [complaint] = my_complaints_on_the_server(api_server, title)
    assert len(complaint["photos"]) == 1

"""What a person sees when something goes wrong or takes time: the UI tests here read what is
drawn on the window (labels that are shown and take room), not the screens' attributes."""


def test_a_wrong_password_shows_a_spinner_then_the_reason_on_the_login_screen(drive):
    seen = drive("wrong_password")
    assert seen["busy_drawn"] is True
    assert seen["screen"] == "login"
    assert "Nama pengguna atau kata sandi salah" in seen["drawn"]
    assert seen["spinner_after"] is False


def test_locked_out_the_login_screen_says_how_long_to_wait(drive):
    seen = drive("locked_out", "--param", "username=budi.lupa@example.com", "--param", "attempts=5")
    [notice] = [text for text in seen["drawn"] if text.startswith("Terlalu banyak percobaan")]
    assert "Coba lagi dalam" in notice and "menit" in notice


def test_offline_the_cached_screen_is_drawn_under_a_banner_with_its_age(drive, unreachable_url):
    seen = drive("offline_banner", "--param", f"offline_api={unreachable_url}")
    assert not [text for text in seen["online"] if text.startswith("Luring")]
    [banner] = [text for text in seen["offline"] if text.startswith("Luring")]
    assert "detik lalu" in banner
    assert "Jalan rusak atau berlubang" in seen["offline"]  # the saved categories, still shown


def test_a_conflict_is_explained_and_reload_shows_the_complaint_as_it_is_now(drive):
    seen = drive("conflict_reload")
    assert "Muat ulang" in seen["refused"]
    [notice] = [text for text in seen["refused"] if "versi terbaru" in text]
    assert "Muat ulang" not in seen["reloaded"]
    assert not [text for text in seen["reloaded"] if "versi terbaru" in text]
    assert any(
        text.startswith("Ditangani oleh") for text in "\n".join(seen["reloaded"]).split("\n")
    )


def test_a_report_outside_the_city_is_refused_at_its_location_field(drive):
    seen = drive("refused_outside")
    assert seen["screen"] == "complaint_form"
    assert "Lokasi di luar wilayah layanan" in seen["location"]
    assert seen["outbox"] == 0  # refused for good: nothing left waiting


def test_the_outbox_belongs_to_the_account_that_wrote_it(drive, unreachable_url):
    title = "Lubang di depan rumah Siti"
    seen = drive(
        "outbox_accounts", "--param", f"offline_api={unreachable_url}", "--param", f"title={title}"
    )
    # Logging out with an unsent report asks what to do with it.
    assert "1 kiriman belum terkirim" in seen["question"]
    assert {
        "Simpan, kirim saat saya masuk lagi",
        "Kirim sekarang, lalu keluar",
        "Buang kiriman dan keluar",
        "Batal",
    } <= set(seen["question"])
    assert seen["after_cancel"] == {"screen": "settings", "overlay": []}
    # Budi, on the same phone: Siti's report is neither sent nor shown.
    assert seen["budi_sent"] == 0
    assert "Tidak ada kiriman yang menunggu." in seen["budi_outbox"]
    assert title not in seen["budi_mine"]
    assert seen["budi_logout"] == {"screen": "login", "overlay": []}
    # Siti again: sent, as hers.
    assert [status for status, _problem in seen["siti_outbox"]] == ["sent"], seen["siti_outbox"]
    mine = [row for row in seen["siti_mine"] if row["title"] == title]
    assert len(mine) == 1, (seen["siti_mine"], seen["siti_mine_error"])
    [row] = mine
    assert row["line"].startswith("ADU-")


def test_filing_ends_in_a_confirmation_that_leads_to_the_report(drive, tmp_path):
    from PIL import Image

    photo = tmp_path / "lubang.jpg"
    Image.new("RGB", (320, 240), (120, 110, 90)).save(photo, "JPEG")
    title = "Lubang kecil di Jl. Kenari"
    seen = drive("confirmation_flow", "--param", f"title={title}", "--param", f"photo={photo}")
    drawn = seen["confirmation"]
    assert "Terima kasih, laporan Anda sudah diterima" in drawn
    [number] = [text for text in drawn if text.startswith("ADU-")]
    assert any(text.startswith("Diperiksa paling lambat ") for text in drawn)
    assert "Langkah berikutnya" in drawn
    assert any("Dinas Bina Marga" in text and "kotak masuk" in text for text in drawn)
    assert {"Lihat laporan", "Kembali ke beranda"} <= set(drawn)
    assert title in seen["report"] and number in seen["report"]
    assert seen["after_back"] == "complaint_categories"  # not the sent form
    assert seen["form_again"] == {"title": "", "photos": 0, "scroll_y": 1}

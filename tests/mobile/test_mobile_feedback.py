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

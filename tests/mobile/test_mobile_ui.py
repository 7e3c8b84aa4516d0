"""The real app, headless (SDL offscreen), against the real server: one subprocess per scenario,
since a Kivy App runs once per process (see ui_driver.py)."""

import subprocess
import sys

from PIL import Image

from tests.mobile.conftest import REPO_ROOT, TIMEOUT_SECONDS, headless_environment


def test_logging_in_through_the_form_opens_the_residents_home(drive):
    seen = drive("login_screen")
    assert seen["first_screen"] == "login"
    assert seen["screen"] == "home"
    assert seen["greeting"] == "Halo, Siti Rahmawati"
    assert seen["tiles"] == [
        "Kotak masuk",
        "Pengaduan saya",
        "Peta laporan",
        "Perizinan",
        "Izin saya",
        "Direktori dinas",
        "Pengumuman",
        "Katalog layanan",
        "Cari",
        "Kotak keluar",
    ]


def test_a_residents_home_starts_with_report_a_problem_then_their_open_reports(drive):
    seen = drive("resident_home")
    drawn = seen["drawn"]
    # First after the greeting, and the largest thing on the screen.
    assert drawn.index("Lapor masalah") < drawn.index("Laporan saya yang berjalan")
    assert drawn.index("Laporan saya yang berjalan") < drawn.index("Layanan lain")
    assert seen["report_area"] > 1.5 * max(seen["tile_areas"])
    # Their open reports with status and due date: the one filed, the one waiting to be sent.
    assert {"title": seen["filed"], "badge": "Diajukan"} in seen["open"]
    assert {"title": "Sampah menumpuk di Jl. Melati", "badge": "Menunggu dikirim"} in seen["open"]
    assert any("Batas waktu" in line for line in seen["lines"])
    assert seen["outbox_badge"] == "numeric-1"
    assert "Pengaturan" not in seen["tiles"]  # settings once: the top bar's cog


def test_switching_language_changes_the_visible_strings_and_is_remembered(drive):
    seen = drive("switch_language")
    assert "Perizinan" in seen["before"] and "Permits" not in seen["before"]
    assert {"Permits", "Report a problem", "Hello, Siti Rahmawati"} <= set(seen["after"])
    assert "Perizinan" not in seen["after"]
    assert {"Settings", "Language", "Log out"} <= set(seen["settings"])
    assert seen["saved"]["language"] == "en"
    # The chosen language shows as chosen, before and after the switch.
    assert seen["chosen_before"] == ["check-circle", "circle-outline"]
    assert seen["chosen_after"] == ["circle-outline", "check-circle"]


def test_a_field_holding_text_keeps_its_floating_label_small_above_the_value(drive):
    """The hint (floating label) of a filled field is drawn small, above the value; after a
    language switch and a logout it used to come back at the value's own size, pressed onto it
    like a second value."""
    seen = drive("floating_labels")
    assert seen["hint"] == "Email or mobile number"  # the switch reached the login screen
    for moment in ("typed", "logged_out"):
        (hint_bottom, hint_top), (text_bottom, text_top) = (
            seen[moment]["hint"],
            seen[moment]["text"],
        )
        assert hint_top - hint_bottom < text_top - text_bottom, moment  # smaller than the value
        assert hint_bottom >= text_top, moment  # and above it, not over it


def test_register_shows_each_problem_next_to_its_field(drive):
    seen = drive("register_errors")
    # Checked on the device before sending: a malformed phone number.
    assert seen["client_side"] == {"phone": "Masukkan nomor HP Indonesia, misalnya 0812-3456-7890."}
    # Refused by the server: the email is taken. Shown under the email field, translated.
    assert seen["server_side"] == {"email": "Email sudah terdaftar"}
    assert seen["notice"] == "Email sudah terdaftar"
    assert seen["server_side_en"] == {"email": "This email is already registered."}


def test_agency_directory_uses_two_panes_on_a_wide_window_and_one_on_a_narrow(drive):
    seen = drive("agency_panes", "--size", "1280x800")
    home = " ".join(seen["home"])
    assert "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu (DPMPTSP)" in home
    assert "Izin Penyelenggaraan Reklame" in home  # a permit type this agency processes
    assert "Ambil untuk ditangani" in home  # "claim", from the shared state machines

    wide = seen["wide"]
    assert wide["wide"] and wide["detail_width"] > wide["list_width"] > 0
    assert wide["detail"] == ["Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu (DPMPTSP)"]
    # Contacts are buttons that open the dialer, WhatsApp, mail and the browser.
    assert [(c["url"], c["tall_enough"], c["drawn"]) for c in seen["contacts"]] == [
        ("tel:02174601101", True, True),
        ("https://wa.me/6281110001101", True, True),
        ("mailto:dpmptsp@harapanbaru.go.id", True, True),
        ("https://dpmptsp.harapanbaru.go.id/", True, True),
    ]
    assert seen["contacts"][0]["text"] == "Telepon: (021) 7460-1101"
    assert seen["wide_choice"] == {
        "screen": "agencies",
        "detail": ["Dinas Bina Marga dan Sumber Daya Air (DBMSDA)"],
    }

    narrow = seen["narrow"]
    assert narrow["window"] == [600, 900]
    assert not narrow["wide"] and narrow["detail_width"] == 0 and narrow["list_width"] == 600
    assert seen["narrow_choice"] == {
        "screen": "agency_detail",
        "detail": ["Dinas Bangunan dan Penataan Ruang (DBPR)"],
    }
    assert seen["after_back"] == "agencies"


def test_back_button_goes_back_and_leaves_from_home(drive):
    seen = drive("back_button")
    assert (seen["first_back"], seen["second_back"]) == ("permit_types", "home")
    assert seen["stopped_from_home"] == 1


def test_the_desktop_photo_chooser_is_drawn_on_its_dark_ground(drive):
    seen = drive("photo_chooser")
    # Every corner of the chooser is its dark ground (Kivy draws the file names in white).
    ground = (41, 46, 51)
    for corner in seen["corners"]:
        assert max(abs(a - b) for a, b in zip(corner, ground, strict=True)) <= 3, seen["corners"]


def test_screenshot_mode_renders_a_screen_with_its_data(api_server, tmp_path):
    out = tmp_path / "permit_type.png"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mobile",
            "--api",
            api_server.base_url,
            "--data-dir",
            str(tmp_path / "data"),
            "--size",
            "412x860",
            "--screenshot",
            "permit_type",
            "--param",
            "code=pbg",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        env=headless_environment(),
        cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    image = Image.open(out).convert("RGB")
    assert image.size == (412, 860)
    assert image.getpixel((5, 5)) == (0, 150, 136)  # the teal top bar
    colours = image.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50  # text and widgets, not a blank frame

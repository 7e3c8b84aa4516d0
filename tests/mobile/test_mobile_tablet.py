"""The officer's tablet (1280x800), headless, against the real server: what is drawn."""


def test_the_queue_shows_eight_complaints_the_chosen_one_and_its_actions_in_view(drive):
    seen = drive("officer_tablet", "--size", "1280x800")
    assert seen["fully_visible"] >= 8
    assert seen["filters_height"] <= 72  # one bar of filters
    # The status chip and "More filters"; the rest wait in the sheet.
    assert [text for text in seen["filters"] if text.isprintable()] == [
        "Status: Semua yang terbuka",
        "Saringan lain",
    ]
    assert seen["filters_beyond_pane"] == []  # no chip runs over the detail pane
    assert seen["selected"] == [True]  # exactly one row highlighted: the one beside the list
    assert seen["bar"]["drawn"] and seen["bar"]["on_screen"]
    assert seen["bar"]["buttons"][0] == "Ambil untuk ditangani"  # the main action first
    assert seen["bar"]["buttons"][-2:] == ["Tolak", "Tandai duplikat"]  # then, apart, in red
    assert seen["arrived"]  # filed meanwhile: in the list without touching anything
    # With the live stream down, a new complaint shows once the list is pulled down.
    assert (seen["before_pull"], seen["after_pull"]) == (False, True)
    # Rejecting: the reason in the bar, a red "Reject", then a dialog asks before anything is sent.
    assert "Tolak" in seen["reject_panel"] and "Jenis penolakan (wajib)" in seen["reject_panel"]
    assert seen["reject_dialog"] == [
        "Tolak?",
        "Tindakan ini mengakhiri penanganan dan tidak dapat dibatalkan.",
        "Batal",
        "Ya, Tolak",
    ]
    assert seen["after_cancel"] == "submitted"  # cancelled: still there, unchanged
    assert seen["after_yes"] == "rejected", seen["after_yes_seen"]
    assert [text for text in seen["sheet"] if text.isprintable()] == [
        "Saringan lain",
        "Batas waktu",
        "Semua",
        "Terlambat",
        "Segera jatuh tempo",
        "Penanganan",
        "Semua",
        "Saya",
        "Belum ditangani",
        "Tutup",
    ]
    assert seen["overdue"] == {"rows": 0, "drawn": ["Tidak ada pengaduan dengan saringan ini."]}
    assert "Saringan lain (1)" in seen["filters_after"]

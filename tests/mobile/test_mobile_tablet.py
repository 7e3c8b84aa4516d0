"""The officer's tablet (1280x800), headless, against the real server: what is drawn."""


def test_the_queue_shows_eight_complaints_the_chosen_one_and_its_actions_in_view(drive):
    seen = drive("officer_tablet", "--size", "1280x800")
    assert seen["fully_visible"] >= 8
    assert seen["filters_height"] <= 72  # one bar of filters
    assert {"Status: Semua yang terbuka", "Batas waktu: Semua", "Penanganan: Semua"} <= set(
        seen["filters"]
    )
    assert seen["filters_beyond_pane"] == []  # no chip runs over the detail pane
    assert seen["selected"] == [True]  # exactly one row highlighted: the one beside the list
    assert seen["bar"]["drawn"] and seen["bar"]["on_screen"]
    assert seen["bar"]["buttons"][0] == "Ambil untuk ditangani"  # the main action first
    assert seen["bar"]["buttons"][-2:] == ["Tolak", "Tandai duplikat"]  # then, apart, in red
    assert seen["arrived"]  # filed meanwhile: in the list without touching anything
    # Rejecting asks first: a warning and a red "Yes, reject".
    assert "Tindakan ini mengakhiri penanganan dan tidak dapat dibatalkan." in seen["reject_panel"]
    assert "Ya, Tolak" in seen["reject_panel"]

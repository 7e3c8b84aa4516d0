"""The inbox in the real app, headless, against the real server: the unread badge goes up while
the app is open when an officer acts on the resident's complaint, and reading the entry (which
opens the complaint) brings it down again."""

from uuid import uuid4

from mobile.core.api import ApiClient
from mobile.core.tokens import TokenStore
from tests.mobile.helpers import file_pothole


async def test_the_badge_goes_up_live_and_reading_the_entry_opens_the_complaint(
    drive, api_server, tmp_path
):
    # A new resident, so that the inbox holds only this complaint's entries.
    email = f"rina.{uuid4().hex[:8]}@example.com"
    password = "kopi-susu-di-serpong"
    api = ApiClient(api_server.base_url, tokens=TokenStore(tmp_path / "resident"))
    await api.register(full_name="Rina Wati", email=email, password=password)
    await api.login(email, password)
    complaint = await file_pothole(api)
    await api.mark_all_read()  # "filed" was read on another device: home starts at 0
    await api.aclose()

    seen = drive(
        "inbox_live",
        "--param",
        f"username={email}",
        "--param",
        f"password={password}",
        "--param",
        f"complaint={complaint['id']}",
    )
    assert seen["before"] == {"tile": "", "bell": "bell-outline"}
    assert seen["after"] == {"tile": "numeric-1", "bell": "bell-badge-outline"}
    assert seen["screen_meanwhile"] == "home"  # nothing was reloaded by hand
    number = complaint["tracking_number"]
    assert seen["inbox"] == [
        {"title": f"Pengaduan {number} sudah diverifikasi", "unread": True},
        {"title": f"Pengaduan {number} sudah kami terima", "unread": False},
    ]
    assert seen["opened"] == complaint["id"]
    assert seen["read"] == {"tile": "", "bell": "bell-outline"}
    assert seen["inbox_after"] == [False, False]

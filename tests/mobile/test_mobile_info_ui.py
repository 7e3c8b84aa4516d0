"""Public information in the real app, headless, against the real server: announcements (pinned
first) and search in Indonesian, then in English after switching language; following an agency;
a supervisor's Life Room figures."""

from mobile.core.api import ApiClient
from mobile.core.tokens import TokenStore
from tests.mobile.helpers import file_pothole

PINNED = {
    "category": "emergency",
    "pinned": True,
    "title": {
        "id": "Waspada genangan di Jl. Raya Serpong",
        "en": "Flood warning on Jl. Raya Serpong",
    },
    "body": {
        "id": "Hindari lajur kiri dekat Pasar Serpong; pompa air disiagakan.",
        "en": "Avoid the left lane near Serpong Market; water pumps are on standby.",
    },
}
LATER = {
    "category": "news",
    "title": {"id": "Perbaikan trotoar Jl. Pahlawan", "en": "Pavement repairs on Jl. Pahlawan"},
    "body": {"id": "Pekerjaan berlangsung dua minggu.", "en": "The works take two weeks."},
}


async def signed_in(api_server, tmp_path, role: str, agency: str | None = None) -> ApiClient:
    api = ApiClient(api_server.base_url, tokens=TokenStore(tmp_path / role))
    account = api_server.account(role, agency)
    await api.login(account.username, account.password)
    return api


async def test_information_in_both_languages_following_and_the_supervisors_figures(
    drive, api_server, tmp_path
):
    supervisor = await signed_in(api_server, tmp_path, "supervisor", "dbmsda")
    pinned = await supervisor.send("POST", "/announcements", body=PINNED)
    await supervisor.send("POST", "/announcements", body=LATER)
    resident = await signed_in(api_server, tmp_path, "resident")
    await resident.follow("dlh", False)
    await file_pothole(resident)  # DBMSDA has at least one complaint to count

    seen = drive(
        "information_languages",
        "--param",
        f"announcement={pinned['id']}",
        "--param",
        "query=genangan",
        "--param",
        f"title_en={PINNED['title']['en']}",
        "--param",
        "agency=dlh",
    )

    titles = [row["title"] for row in seen["announcements_id"]]
    assert titles.index(PINNED["title"]["id"]) < titles.index(LATER["title"]["id"])  # pinned
    [row] = [row for row in seen["announcements_id"] if row["title"] == PINNED["title"]["id"]]
    assert row["byline"].startswith("Darurat · Dinas Bina Marga dan Sumber Daya Air")
    assert PINNED["title"]["id"] in seen["detail_id"] and PINNED["body"]["id"] in seen["detail_id"]
    assert "Pengumuman (1)" in seen["search_id"] and PINNED["title"]["id"] in seen["search_id"]

    assert "Announcements (1)" in seen["search_en"] and PINNED["title"]["en"] in seen["search_en"]
    assert PINNED["title"]["id"] not in seen["search_en"]
    assert PINNED["body"]["en"] in seen["detail_en"]
    assert seen["announcements_en"][:2] == [PINNED["title"]["en"], LATER["title"]["en"]]

    assert (seen["follow_before"], seen["follow_after"]) == ("Follow", "Unfollow")
    followed = (await resident.followed_agencies()).data["items"]
    assert "dlh" in [agency["code"] for agency in followed]
    assert "Report: Uncollected waste" in seen["agency_services"]

    supervisor.language = "en"
    figures = (await supervisor.dashboard()).data
    total = figures["total"]
    assert "Life Room" in seen["home_tiles"]
    texts = seen["dashboard"]
    assert texts[0] == "Roads and Water Resources Office"
    cards = dict(zip(texts[3:17:2], texts[2:16:2], strict=True))  # label: value
    assert cards["Received"] == str(total["received"]) and total["received"] > 0
    assert cards["Resolved"] == str(total["resolved"])
    assert cards["Overdue now"] == str(total["overdue_now"])
    assert [c["name"] for c in figures["by_category"]][0] in texts
    for api in (supervisor, resident):
        await api.aclose()

"""The demo city comes with announcements and FAQs, installed once however often it is installed."""

from sqlmodel import func, select

from backend.demo import install_demo
from backend.information.models import Announcement, ServiceFaq


async def test_demo_content_is_published_once_and_searchable(client, session, hashing):
    for _ in range(2):
        install_demo(session, hashing=hashing)
        session.commit()
    assert session.exec(select(func.count()).select_from(Announcement)).one() == 3
    assert session.exec(select(func.count()).select_from(ServiceFaq)).one() == 5

    listed = (await client.get("/api/v1/announcements", headers={"Accept-Language": "en"})).json()
    assert listed["items"][0]["title"] == "One app for every city service"  # the pinned one
    found = (await client.get("/api/v1/search", params={"q": "pengangkutan sampah"})).json()
    assert "Jadwal pengangkutan sampah selama libur akhir tahun" in str(found)
    service = (await client.get("/api/v1/services/sip-nakes")).json()
    assert [faq["question"] for faq in service["faqs"]] == ["Berapa lama SIP berlaku?"]

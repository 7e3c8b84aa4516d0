"""Search: Indonesian words across their affixes, both languages, ranking, the engines' indexes."""

import datetime as dt

import pytest
from sqlalchemy import text
from sqlmodel import select

from backend.db import utcnow
from backend.information.stemming import index_terms, normalise, stems
from tests.backend.information.conftest import announcement_body


@pytest.mark.parametrize(
    ("derived", "root"),
    [
        ("pengaduan", "adu"),
        ("mengadukan", "adu"),
        ("diadukan", "adu"),
        ("memperbaiki", "baik"),
        ("perbaikan", "baik"),
        ("menulis", "tulis"),
        ("mengirimkan", "kirim"),
        ("penyapuan", "sapu"),
        ("sampahnya", "sampah"),
        ("pelayanan", "layan"),
        ("perizinan", "izin"),
        ("membangun", "bangun"),
        ("ketertiban", "tertib"),
        ("kebanjiran", "banjir"),
        ("berlubang", "lubang"),
        # English, through Snowball's English stemmer
        ("repairs", "repair"),
        ("flooding", "flood"),
        ("flooded", "flood"),
        ("renovating", "renov"),
        ("permits", "permit"),
    ],
)
def test_stemmer_finds_the_root(derived, root):
    assert root in stems(derived)


def test_normalising_drops_case_and_diacritics():
    assert normalise("PERBAIKAN Jalan Ciputat–Pamulang, Café") == (
        "perbaikan jalan ciputat–pamulang, cafe"
    )
    assert index_terms("Izin") == "izin"


async def _search(client, query: str, **headers) -> list[tuple[str, str]]:
    response = await client.get("/api/v1/search", params={"q": query}, headers=headers)
    assert response.status_code == 200, response.text
    return [(hit["kind"], hit["title"]) for hit in response.json()["items"]]


@pytest.fixture
async def announcements(client, callers):
    bodies = [
        announcement_body(
            title={"id": "Perbaikan jalan Setu Raya", "en": "Repairs on Setu Raya road"},
            body={"id": "Lalu lintas dialihkan.", "en": "Traffic is diverted."},
        ),
        announcement_body(
            agency_code="dlh",
            title={"id": "Jadwal pengangkutan sampah", "en": "Waste collection timetable"},
            body={
                "id": "Warga dapat mengadukan sampah yang tidak diangkut. Jalan akan diperbaiki.",
                "en": "Residents can report waste that was not collected.",
            },
        ),
    ]
    for body in bodies:
        response = await client.post("/api/v1/announcements", json=body, headers=callers.admin)
        assert response.status_code == 201, response.text


async def test_indonesian_queries_match_with_and_without_affixes(client, announcements):
    for query in ("perbaikan", "diperbaiki", "memperbaiki", "PERBAIKAN", "perbaikán", "baik"):
        hits = await _search(client, query)
        assert ("announcement", "Perbaikan jalan Setu Raya") in hits, query


async def test_a_title_match_ranks_above_a_body_match(client, announcements):
    hits = [hit for hit in await _search(client, "perbaikan") if hit[0] == "announcement"]
    # Both mention repairs; only the first in its title.
    assert hits == [
        ("announcement", "Perbaikan jalan Setu Raya"),
        ("announcement", "Jadwal pengangkutan sampah"),
    ]


async def test_english_queries_and_english_results(client, announcements):
    hits = await _search(client, "road repair", **{"Accept-Language": "en"})
    assert hits[0] == ("announcement", "Repairs on Setu Raya road")


async def test_every_word_must_match(client, announcements):
    hits = await _search(client, "aduan sampah")
    assert ("announcement", "Jadwal pengangkutan sampah") in hits
    assert ("announcement", "Perbaikan jalan Setu Raya") not in hits
    assert await _search(client, "sampah reklame") == []
    assert await _search(client, "zzzz") == []


async def test_services_agencies_and_faqs_are_found(client, callers):
    faq = {
        "question": {"id": "Apakah perlu membawa materai?", "en": "Do I need a duty stamp?"},
        "answer": {"id": "Tidak perlu.", "en": "No."},
    }
    added = await client.post("/api/v1/services/izin-reklame/faqs", json=faq, headers=callers.admin)
    assert added.status_code == 201, added.text

    hits = await _search(client, "perizinan reklame")
    assert ("service", "Izin Penyelenggaraan Reklame") in hits
    assert ("agency", "Dinas Bina Marga dan Sumber Daya Air (DBMSDA)") in await _search(
        client, "bina marga"
    )
    [faq_hit] = (await client.get("/api/v1/search", params={"q": "materai"})).json()["items"]
    assert faq_hit["kind"] == "faq"
    assert faq_hit["code"] == "izin-reklame"


async def test_scheduled_and_deleted_announcements_are_not_found(client, callers):
    later = announcement_body(
        title={"id": "Festival budaya", "en": "Culture festival"},
        publish_at=(utcnow() + dt.timedelta(days=3)).isoformat(),
    )
    await client.post("/api/v1/announcements", json=later, headers=callers.admin)
    now = announcement_body(title={"id": "Pentas budaya", "en": "Culture show"})
    created = await client.post("/api/v1/announcements", json=now, headers=callers.admin)

    assert await _search(client, "budaya") == [("announcement", "Pentas budaya")]
    await client.delete(f"/api/v1/announcements/{created.json()['id']}", headers=callers.admin)
    assert await _search(client, "budaya") == []


async def test_search_results_are_cacheable(client, announcements):
    first = await client.get("/api/v1/search", params={"q": "sampah"})
    again = await client.get(
        "/api/v1/search", params={"q": "sampah"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


async def test_the_engines_full_text_index_serves_the_query(client, announcements, engine):
    await _search(client, "perbaikan")
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
            plan = connection.execute(
                text(
                    "EXPLAIN SELECT id FROM search_entry WHERE "
                    "(setweight(to_tsvector('simple', title_terms), 'A') || "
                    "setweight(to_tsvector('simple', body_terms), 'B')) "
                    "@@ to_tsquery('simple', 'baik')"
                )
            ).scalars()
            assert "ix_search_entry_fts" in "\n".join(plan)
        else:
            rows = connection.execute(
                text("SELECT rowid FROM search_fts WHERE search_fts MATCH 'baik'")
            ).all()
            assert len(rows) == 2


def test_the_indonesian_root_comes_from_a_dictionary_not_every_reading():
    # "menulis" is from "tulis": the affix stripper's other reading, "ulis", is not a word.
    assert "tulis" in stems("menulis") and "ulis" not in stems("menulis")


async def test_english_queries_match_across_word_forms(client, callers):
    body = announcement_body(
        title={"id": "Banjir di Pamulang", "en": "Flooding in Pamulang"},
        body={"id": "Jalan ditutup sementara.", "en": "Roads are closed for now."},
    )
    assert (await client.post("/api/v1/announcements", json=body, headers=callers.admin)).is_success
    for query in ("flood", "flooded", "floods", "road closed"):
        hits = await _search(client, query, **{"Accept-Language": "en"})
        assert ("announcement", "Flooding in Pamulang") in hits, query


async def test_reindexing_restems_every_entry(session, announcements):
    from backend.information.models import SearchEntry
    from backend.information.search import reindex_search

    entries = list(session.exec(select(SearchEntry)))
    for entry in entries:  # as an older stemmer left them: no stems at all
        entry.title_terms = entry.body_terms = "stale"
    session.flush()
    count = reindex_search(session)
    after = list(session.exec(select(SearchEntry)))
    assert count == len(after) >= len(entries)
    terms = " ".join(entry.title_terms for entry in after)
    assert "stale" not in terms and "perbaikan" in terms and "baik" in terms

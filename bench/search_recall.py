"""Search recall on what residents type, in both languages, against the demo city's content.

A labelled set of queries (`QUERIES`: what a resident would type, and the items a person would
want found, named by their English title) runs through the real search (`information.search`,
SQLite FTS5 here) on a fresh database holding the demo region pack and its demo content. Recall
is the share of wanted items among the first `LIMIT` hits, per query and over all; "all found"
counts the queries whose every wanted item came back. Words a resident uses that the content
never does ("rubbish" where it says "waste") miss whatever the stemmer does; they stay in the
set because residents type them.

    .venv/bin/python bench/search_recall.py [--show-misses]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LIMIT = 10

# Item kinds, as `information.models.SearchKind` names them.
SERVICE, AGENCY, ANNOUNCEMENT, FAQ = "service", "agency", "announcement", "faq"
ROAD = (SERVICE, "Report: Damaged road or pothole")
FLOOD = (SERVICE, "Report: Flooding or blocked drain")
WASTE = (SERVICE, "Report: Uncollected waste")
STREET_LIGHT = (SERVICE, "Report: Street light out")
TRAFFIC_LIGHT = (SERVICE, "Report: Broken traffic light or road sign")
TREE = (SERVICE, "Report: Fallen tree or damaged park")
ILLEGAL_BILLBOARD = (SERVICE, "Report: Illegal billboards and public order")
BILLBOARD_PERMIT = (SERVICE, "Billboard Permit")
BUILDING_APPROVAL = (SERVICE, "Building Approval (PBG)")
HEALTH_PERMIT = (SERVICE, "Health Worker Practice Permit (SIP)")
CROWD_EVENT = (SERVICE, "Public Event Recommendation")
HEALTH_COMPLAINT = (SERVICE, "Report: Health centre and clinic services")
PUBLIC_SERVICE_COMPLAINT = (SERVICE, "Report: Public service and staff conduct")
HOUSING = (SERVICE, "Report: Damaged housing-estate facilities")
WASTE_SCHEDULE = (ANNOUNCEMENT, "Waste collection schedule over the year-end holidays")
ROAD_REPAIRS = (ANNOUNCEMENT, "Jalan Raya Setu repairs due to finish next week")
BILLBOARD_TAX = (FAQ, "How is the billboard tax worked out?")
RENOVATION = (FAQ, "Does renovating a house need a building approval (PBG)?")
SIP_VALIDITY = (FAQ, "How long is a practice permit (SIP) valid?")

QUERIES: list[tuple[str, list[tuple[str, str]]]] = [
    # Bahasa Indonesia
    ("jalan berlubang", [ROAD]),
    ("pengaduan jalan rusak", [ROAD]),
    ("jalanan rusak", [ROAD]),
    ("berlubang", [ROAD]),
    ("lubang", [ROAD]),
    ("banjir", [FLOOD]),
    ("kebanjiran", [FLOOD]),
    ("saluran tersumbat", [FLOOD]),
    ("menyumbat saluran", [FLOOD]),
    ("sampah menumpuk", [WASTE]),
    ("sampah tidak diangkut", [WASTE]),
    ("pengangkutan sampah", [WASTE_SCHEDULE]),
    ("lampu jalan mati", [STREET_LIGHT]),
    ("penerangan jalan", [STREET_LIGHT]),
    ("lampu lalu lintas", [TRAFFIC_LIGHT]),
    ("rambu rusak", [TRAFFIC_LIGHT]),
    ("pohon tumbang", [TREE]),
    ("taman rusak", [TREE]),
    ("reklame liar", [ILLEGAL_BILLBOARD]),
    ("izin reklame", [BILLBOARD_PERMIT]),
    ("perizinan reklame", [BILLBOARD_PERMIT]),
    ("pajak reklame", [BILLBOARD_TAX]),
    ("persetujuan bangunan gedung", [BUILDING_APPROVAL]),
    ("renovasi rumah", [RENOVATION]),
    ("izin praktik", [HEALTH_PERMIT]),
    ("tenaga kesehatan", [HEALTH_PERMIT]),
    ("pelayanan puskesmas", [HEALTH_COMPLAINT]),
    ("perilaku petugas", [PUBLIC_SERVICE_COMPLAINT]),
    ("keramaian", [CROWD_EVENT]),
    ("perbaikan jalan", [ROAD_REPAIRS]),
    ("jalan diperbaiki", [ROAD_REPAIRS]),
    ("fasilitas umum perumahan", [HOUSING]),
    # English
    ("flood", [FLOOD]),
    ("flooded drain", [FLOOD]),
    ("blocked drains", [FLOOD]),
    ("potholes", [ROAD]),
    ("damaged roads", [ROAD]),
    ("street lights", [STREET_LIGHT]),
    ("traffic lights", [TRAFFIC_LIGHT]),
    ("road signs", [TRAFFIC_LIGHT]),
    ("fallen trees", [TREE]),
    ("uncollected rubbish", [WASTE]),
    ("waste collection", [WASTE_SCHEDULE]),
    ("illegal billboards", [ILLEGAL_BILLBOARD]),
    ("billboard permit", [BILLBOARD_PERMIT]),
    ("building permit", [BUILDING_APPROVAL]),
    ("building approval", [BUILDING_APPROVAL]),
    ("health workers", [HEALTH_PERMIT]),
    ("practice permits", [HEALTH_PERMIT, SIP_VALIDITY]),
    ("renovation", [RENOVATION]),
    ("repairing roads", [ROAD_REPAIRS]),
]


def _titles(session) -> dict[tuple[str, int], str]:
    """(kind, ref_id) -> English title, for every searchable item."""
    from sqlmodel import select

    from backend.information.models import Announcement, PublicService, ServiceFaq
    from backend.region.models import Agency

    found = {}
    for kind, model, title in (
        (SERVICE, PublicService, "name_en"),
        (AGENCY, Agency, "name_en"),
        (ANNOUNCEMENT, Announcement, "title_en"),
        (FAQ, ServiceFaq, "question_en"),
    ):
        for row in session.exec(select(model)):
            found[(kind, row.id)] = getattr(row, title)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="list what each query missed")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="warga-search-")
    os.environ.setdefault("WARGA_JWT_SECRET", "bench-" + "x" * 58)
    from sqlmodel import Session

    from backend.accounts.passwords import PasswordHashing
    from backend.config import get_settings
    from backend.db import make_engine, utcnow
    from backend.demo import install_demo
    from backend.information import search
    from backend.migrations import upgrade

    url = f"sqlite:///{folder}/search.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        install_demo(session, hashing=PasswordHashing(get_settings()))
        session.commit()
        titles = _titles(session)
        known = set(titles.values())
        wanted_everywhere = {item for _query, wanted in QUERIES for item in wanted}
        unknown = [title for _kind, title in wanted_everywhere if title not in known]
        if unknown:
            raise SystemExit(f"labels name items the demo does not have: {unknown}")

        found_total = wanted_total = complete = 0
        rows = []
        for query, wanted in QUERIES:
            hits = search.search(session, query=query, now=utcnow(), limit=LIMIT)
            got = {(kind.value, titles[(kind.value, ref_id)]) for kind, ref_id in hits}
            found = [item for item in wanted if item in got]
            found_total += len(found)
            wanted_total += len(wanted)
            complete += len(found) == len(wanted)
            rows.append((query, len(found), len(wanted), [w for w in wanted if w not in got]))
    engine.dispose()

    print(f"{len(QUERIES)} queries, {wanted_total} wanted items, first {LIMIT} hits each")
    print(f"recall        {found_total / wanted_total:6.1%}  ({found_total}/{wanted_total})")
    print(f"all found     {complete / len(QUERIES):6.1%}  ({complete}/{len(QUERIES)} queries)")
    if args.show_misses:
        for query, found, wanted, missed in rows:
            if missed:
                print(f"  {query!r}: {found}/{wanted}, missed {[title for _k, title in missed]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

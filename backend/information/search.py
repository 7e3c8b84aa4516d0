"""Full-text search over announcements, services, agencies and FAQs, in both languages: what
each item's entry holds (`index_announcement`, `index_service` ...), rebuilding the index
(`reindex_search`) and the hits as a reader sees them (`search_hits`).

Every searchable item has one `SearchEntry` holding its title and body in Indonesian and
English as stemmed terms (``stemming.index_terms``); queries are stemmed the same way, so
*pengaduan* finds *aduan* and *memperbaiki* finds *perbaikan*. Matching and ranking are the
database's own: SQLite FTS5 with BM25 (titles weigh four times the body), PostgreSQL
``tsvector`` with ``ts_rank`` (titles weight A, bodies B) over a GIN expression index. The
FTS5 table, its triggers and the GIN index are created by migration 0002.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnClause, column, func, literal_column, or_, table, text
from sqlmodel import Session, col, select

from backend.information import access
from backend.information.models import (
    Announcement,
    PublicService,
    SearchEntry,
    SearchKind,
    ServiceFaq,
)
from backend.information.schemas import SearchHit, summary
from backend.information.stemming import index_terms, query_terms
from backend.region.models import Agency
from backend.region.pack import LocalizedText

# Must stay identical to the indexed expression of migration 0002, or PostgreSQL will not use
# the index.
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple', title_terms), 'A') || "
    "setweight(to_tsvector('simple', body_terms), 'B'))"
)
TITLE_WEIGHT = 4.0  # SQLite: BM25 weight of the title column against 1.0 for the body


def index(
    session: Session,
    *,
    kind: SearchKind,
    ref_id: int,
    titles: Iterable[str],
    bodies: Iterable[str],
    updated_at: dt.datetime,
    visible_from: dt.datetime | None = None,
    visible_until: dt.datetime | None = None,
) -> None:
    """Create or refresh the entry of one item; the database's triggers or index follow."""
    values: dict[str, Any] = {
        "title_terms": index_terms(" ".join(titles)),
        "body_terms": index_terms(" ".join(bodies)),
        "visible_from": visible_from,
        "visible_until": visible_until,
        "source_updated_at": updated_at,
    }
    entry = _entry(session, kind, ref_id) or SearchEntry(kind=kind, ref_id=ref_id, **values)
    for name, value in values.items():
        setattr(entry, name, value)
    session.add(entry)
    session.flush()


def unindex(session: Session, *, kind: SearchKind, ref_id: int) -> None:
    entry = _entry(session, kind, ref_id)
    if entry is not None:
        session.delete(entry)
        session.flush()


def indexed_versions(session: Session, kind: SearchKind) -> dict[int, dt.datetime]:
    """ref_id -> the source's updated_at when it was indexed, for one kind."""
    statement = select(SearchEntry.ref_id, SearchEntry.source_updated_at).where(
        SearchEntry.kind == kind
    )
    return dict(session.exec(statement).all())


def _entry(session: Session, kind: SearchKind, ref_id: int) -> SearchEntry | None:
    statement = select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.ref_id == ref_id)
    return session.exec(statement).first()


def search(
    session: Session, *, query: str, now: dt.datetime, limit: int
) -> list[tuple[SearchKind, int]]:
    """(kind, ref_id) of the best matches, best first; every word of `query` must match."""
    words = query_terms(query)
    if not words:
        return []
    visible = (
        or_(col(SearchEntry.visible_from).is_(None), col(SearchEntry.visible_from) <= now),
        or_(col(SearchEntry.visible_until).is_(None), col(SearchEntry.visible_until) > now),
    )
    statement = select(SearchEntry.kind, SearchEntry.ref_id).where(*visible)
    # Terms are [a-z0-9]+ (see stemming.words), so they need no escaping in either syntax.
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery(
            literal_column("'simple'"),
            " & ".join("(" + " | ".join(sorted(terms)) + ")" for terms in words),
        )
        document: ColumnClause[Any] = literal_column(PG_DOCUMENT)
        statement = statement.where(document.op("@@")(tsquery)).order_by(
            func.ts_rank(document, tsquery).desc(), col(SearchEntry.id)
        )
    else:
        match = " AND ".join(
            "(" + " OR ".join(f'"{term}"' for term in sorted(terms)) + ")" for terms in words
        )
        fts = table("search_fts", column("rowid"))
        statement = (
            statement.join(fts, fts.c.rowid == SearchEntry.id)
            .where(text("search_fts MATCH :match").bindparams(match=match))
            .order_by(
                func.bm25(literal_column("search_fts"), TITLE_WEIGHT, 1.0), col(SearchEntry.id)
            )
        )
    return [(SearchKind(kind), ref_id) for kind, ref_id in session.exec(statement.limit(limit))]


# --- What each kind of item puts in the index ---


def index_announcement(session: Session, announcement: Announcement) -> None:
    index(
        session,
        kind=SearchKind.ANNOUNCEMENT,
        ref_id=announcement.id,
        titles=[announcement.title_id, announcement.title_en],
        bodies=[announcement.body_id, announcement.body_en],
        updated_at=announcement.updated_at,
        visible_from=announcement.publish_at,
        visible_until=announcement.expires_at,
    )


def index_service(session: Session, service: PublicService) -> None:
    if not service.active:
        unindex(session, kind=SearchKind.SERVICE, ref_id=service.id)
        return
    texts = [
        LocalizedText.model_validate(item) for item in [*service.requirements, *service.procedure]
    ]
    index(
        session,
        kind=SearchKind.SERVICE,
        ref_id=service.id,
        titles=[service.name_id, service.name_en],
        bodies=[
            service.description_id,
            service.description_en,
            service.output_id,
            service.output_en,
            *(text.id for text in texts),
            *(text.en for text in texts),
        ],
        updated_at=service.updated_at,
    )


def index_faq(session: Session, faq: ServiceFaq) -> None:
    index(
        session,
        kind=SearchKind.FAQ,
        ref_id=faq.id,
        titles=[faq.question_id, faq.question_en],
        bodies=[faq.answer_id, faq.answer_en],
        updated_at=faq.updated_at,
    )


def index_agencies(session: Session, agencies: Iterable[Agency], everything: bool = False) -> None:
    """Index the agencies changed since they were indexed (or, with `everything`, all)."""
    indexed = indexed_versions(session, SearchKind.AGENCY)
    for agency in agencies:
        if not agency.active:
            if agency.id in indexed:
                unindex(session, kind=SearchKind.AGENCY, ref_id=agency.id)
        elif everything or indexed.get(agency.id) != agency.updated_at:
            index(
                session,
                kind=SearchKind.AGENCY,
                ref_id=agency.id,
                titles=[agency.name_id, agency.name_en],
                bodies=[agency.description_id, agency.description_en, agency.address],
                updated_at=agency.updated_at,
            )


def reindex_search(session: Session) -> int:
    """Index every searchable item again with the current stemmers (after they changed);
    returns how many items were indexed."""
    announcements = list(session.exec(select(Announcement)))
    services = list(session.exec(select(PublicService)))
    faqs = list(session.exec(select(ServiceFaq)))
    for announcement in announcements:
        index_announcement(session, announcement)
    for service in services:
        index_service(session, service)
    for faq in faqs:
        index_faq(session, faq)
    agencies = list(session.exec(select(Agency)))
    index_agencies(session, agencies, everything=True)
    return len(announcements) + len(services) + len(faqs) + len(agencies)


# --- Hits as readers see them ---


def _described(
    session: Session, kind: SearchKind, ids: set[int], now: dt.datetime
) -> dict[int, tuple[str | None, LocalizedText, LocalizedText]]:
    """id -> (code, title, body) of found items of one kind that readers may see now."""
    if kind == SearchKind.FAQ:
        statement = (
            select(ServiceFaq, PublicService.code)
            .join(PublicService, col(PublicService.id) == ServiceFaq.service_id)
            .where(col(ServiceFaq.id).in_(ids))
        )
        return {faq.id: (code, faq.question, faq.answer) for faq, code in session.exec(statement)}
    if kind == SearchKind.ANNOUNCEMENT:
        # The entry's visibility window narrowed the search; the announcement's rule decides.
        announcements = session.exec(
            select(Announcement).where(col(Announcement.id).in_(ids), access.published(now))
        )
        return {row.id: (None, row.title, row.body) for row in announcements}
    if kind == SearchKind.AGENCY:
        return _coded_texts(session, Agency, ids)
    return _coded_texts(session, PublicService, ids)


_Coded = TypeVar("_Coded", Agency, PublicService)  # the kinds of item found by their code


def _coded_texts(
    session: Session, model: type[_Coded], ids: set[int]
) -> dict[int, tuple[str | None, LocalizedText, LocalizedText]]:
    rows = session.exec(select(model).where(col(model.id).in_(ids)))
    return {row.id: (row.code, row.name, row.description) for row in rows}


def search_hits(
    session: Session, *, query: str, language: str, now: dt.datetime, limit: int
) -> list[SearchHit]:
    """The best matches of `query`, best first, described in `language`."""
    found = search(session, query=query, now=now, limit=limit)
    described: dict[tuple[SearchKind, int], tuple[str | None, LocalizedText, LocalizedText]] = {}
    for kind in {kind for kind, _ in found}:
        ids = {ref_id for found_kind, ref_id in found if found_kind == kind}
        for ref_id, texts in _described(session, kind, ids, now).items():
            described[(kind, ref_id)] = texts
    hits = []
    for kind, ref_id in found:
        if (kind, ref_id) not in described:  # deleted (or hidden) since it was indexed
            continue
        code, title, body = described[(kind, ref_id)]
        hits.append(
            SearchHit(
                kind=kind,
                id=ref_id,
                code=code,
                title=title.in_language(language),
                summary=summary(body.in_language(language)),
            )
        )
    return hits

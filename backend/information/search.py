"""Full-text search over announcements, services, agencies and FAQs, in both languages.

Every searchable item has one `SearchEntry` holding its title and body in Indonesian and
English as stemmed terms (``stemming.index_terms``); queries are stemmed the same way, so
*pengaduan* finds *aduan* and *memperbaiki* finds *perbaikan*. Matching and ranking are the
database's own: SQLite FTS5 with BM25 (titles weigh four times the body), PostgreSQL
``tsvector`` with ``ts_rank`` (titles weight A, bodies B) over a GIN expression index. The
FTS5 table, its triggers and the GIN index are created by migration 0002.
"""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import column, func, literal_column, or_, table, text
from sqlmodel import Session, select

from backend.information.models import SearchEntry, SearchKind
from backend.information.stemming import index_terms, query_terms

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
    values = {
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
        or_(SearchEntry.visible_from.is_(None), SearchEntry.visible_from <= now),
        or_(SearchEntry.visible_until.is_(None), SearchEntry.visible_until > now),
    )
    statement = select(SearchEntry.kind, SearchEntry.ref_id).where(*visible)
    # Terms are [a-z0-9]+ (see stemming.words), so they need no escaping in either syntax.
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery(
            literal_column("'simple'"),
            " & ".join("(" + " | ".join(sorted(terms)) + ")" for terms in words),
        )
        document = literal_column(PG_DOCUMENT)
        statement = statement.where(document.op("@@")(tsquery)).order_by(
            func.ts_rank(document, tsquery).desc(), SearchEntry.id
        )
    else:
        match = " AND ".join(
            "(" + " OR ".join(f'"{term}"' for term in sorted(terms)) + ")" for terms in words
        )
        fts = table("search_fts", column("rowid"))
        statement = (
            statement.join(fts, fts.c.rowid == SearchEntry.id)
            .where(text("search_fts MATCH :match").bindparams(match=match))
            .order_by(func.bm25(literal_column("search_fts"), TITLE_WEIGHT, 1.0), SearchEntry.id)
        )
    return [(SearchKind(kind), ref_id) for kind, ref_id in session.exec(statement.limit(limit))]

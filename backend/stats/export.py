"""Open data: complaints and issued permits of a period as CSV or JSON, streamed.

Rows come from a server-side cursor (PostgreSQL) or SQLite's lazy cursor a thousand at a time
and leave as ~64 KB chunks, so a year of complaints never sits in memory.

Nothing personal is exported. Complaints: no reporter, no title, description or address (free
text written by residents), coordinates rounded to about 100 m, and confidential complaints
not at all. Permits: only the types the region publishes in its public register, without the
applicant.
"""

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.complaints.models import Complaint
from backend.permits.models import PermitApplication
from backend.permits.queries import effective_status
from backend.region.models import Agency, ComplaintCategory, PermitType
from backend.stats.sql import Sql
from shared.complaints import OPEN_STATUSES, ComplaintStatus
from shared.permits import BLDS_STATUS

Format = Literal["csv", "json"]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CHUNK_CHARS = 64 * 1024
FETCH_ROWS = 1000
COORDINATE_DECIMALS = 3  # about 110 m: the street, not the house


@dataclass(frozen=True)
class Dataset:
    """One exported dataset: its name (in file names) and its fields, in order."""

    name: str
    fields: tuple[str, ...]

    def filename(self, start: dt.date, end: dt.date, format: Format) -> str:
        return f"warga-{self.name}-{start.isoformat()}-{end.isoformat()}.{format}"


COMPLAINTS = Dataset(
    "complaints",
    (
        "tracking_number",
        "category",
        "agency",
        "status",
        "open311_status",
        "filed_on",
        "due_on",
        "resolved_on",
        "resolved_on_time",
        "rating",
        "latitude",
        "longitude",
    ),
)
PERMITS = Dataset(
    "permits",
    (
        "permit_number",
        "permit_type",
        "agency",
        "status",
        "blds_status",
        "issued_on",
        "valid_from",
        "valid_until",
    ),
)


def _complaints_in(since: dt.datetime, until: dt.datetime) -> list[SQLColumnExpression[bool]]:
    return [
        col(Complaint.created_at) >= since,
        col(Complaint.created_at) < until,
        col(Complaint.confidential).is_(False),
    ]


def _permits_in(since: dt.datetime, until: dt.datetime) -> list[SQLColumnExpression[bool]]:
    return [
        col(PermitApplication.issued_at) >= since,
        col(PermitApplication.issued_at) < until,
        col(PermitType.public_register),
    ]


def version(
    session: Session,
    dataset: Dataset,
    *,
    since: dt.datetime,
    until: dt.datetime,
    complaint_status: ColumnElement[str],
) -> str:
    """A weak entity tag: it changes when a row of the period is added or changed (or, for
    complaints, reads as closed since its reopen window passed)."""
    statement: Select[*tuple[Any, ...]]
    if dataset is COMPLAINTS:
        closed = func.sum(case((complaint_status == ComplaintStatus.CLOSED, 1), else_=0))
        statement = select(func.count(), func.max(Complaint.updated_at), closed).where(
            *_complaints_in(since, until)
        )
    else:
        statement = (
            select(func.count(), func.max(PermitApplication.updated_at))
            .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
            .where(*_permits_in(since, until))
        )
    facts = "|".join(str(fact) for fact in session.execute(statement).one())
    digest = hashlib.blake2b(f"{dataset.name}|{since}|{until}|{facts}".encode())
    return f'W/"{digest.hexdigest()[:32]}"'


def _complaint_rows(
    engine: Engine, sql: Sql, since: dt.datetime, until: dt.datetime, status: ColumnElement[str]
) -> Iterator[dict[str, Any]]:
    statement: Select[*tuple[Any, ...]] = (
        sa.select(
            col(Complaint.tracking_number),
            col(ComplaintCategory.code).label("category"),
            col(Agency.code).label("agency"),
            status.label("status"),
            sql.date(col(Complaint.created_at)).label("filed_on"),
            col(Complaint.due_date),
            sql.date(col(Complaint.resolved_at)).label("resolved_on"),
            col(Complaint.rating),
            col(Complaint.latitude),
            col(Complaint.longitude),
        )
        .join(ComplaintCategory, col(ComplaintCategory.id) == Complaint.category_id)
        .join(Agency, col(Agency.id) == Complaint.agency_id)
        .where(*_complaints_in(since, until))
        .order_by(col(Complaint.id))
    )
    for row in _streamed(engine, statement):
        yield {
            "tracking_number": row.tracking_number,
            "category": row.category,
            "agency": row.agency,
            "status": row.status,
            "open311_status": "open" if row.status in OPEN_STATUSES else "closed",
            "filed_on": row.filed_on,
            "due_on": row.due_date,
            "resolved_on": row.resolved_on,
            "resolved_on_time": None
            if row.resolved_on is None
            else row.resolved_on <= row.due_date,
            "rating": row.rating,
            "latitude": round(row.latitude, COORDINATE_DECIMALS),
            "longitude": round(row.longitude, COORDINATE_DECIMALS),
        }


def _permit_rows(
    engine: Engine, sql: Sql, since: dt.datetime, until: dt.datetime, today: dt.date
) -> Iterator[dict[str, Any]]:
    statement: Select[*tuple[Any, ...]] = (
        sa.select(
            col(PermitApplication.permit_number),
            col(PermitType.code).label("permit_type"),
            col(Agency.code).label("agency"),
            col(PermitApplication.status),
            sql.date(col(PermitApplication.issued_at)).label("issued_on"),
            col(PermitApplication.valid_from),
            col(PermitApplication.valid_until),
        )
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .join(Agency, col(Agency.id) == PermitApplication.agency_id)
        .where(*_permits_in(since, until))
        .order_by(col(PermitApplication.id))
    )
    for row in _streamed(engine, statement):
        status = effective_status(row, today)  # reads .status and .valid_until only
        yield {
            "permit_number": row.permit_number,
            "permit_type": row.permit_type,
            "agency": row.agency,
            "status": status,
            "blds_status": BLDS_STATUS[status],
            "issued_on": row.issued_on,
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
        }


def _streamed(engine: Engine, statement: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    # A connection of its own: the stream outlives the request's session.
    with engine.connect() as connection:
        options = {"stream_results": True, "yield_per": FETCH_ROWS}
        yield from connection.execution_options(**options).execute(statement)


def _chunked(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into chunks of about CHUNK_CHARS characters."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def _csv_lines(fields: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    line = io.StringIO()
    writer = csv.DictWriter(line, fields, lineterminator="\r\n")
    writer.writeheader()
    yield _drain(line)
    for row in rows:
        writer.writerow(row)
        yield _drain(line)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _json_pieces(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    separator = ""
    for row in rows:
        yield separator + json.dumps(row, default=str, ensure_ascii=False)
        separator = ","
    yield "]"


def export(
    engine: Engine,
    dataset: Dataset,
    *,
    format: Format,
    sql: Sql,
    since: dt.datetime,
    until: dt.datetime,
    today: dt.date,
    complaint_status: ColumnElement[str],
) -> Iterator[str]:
    """The dataset's rows of the period as CSV or JSON text, in chunks. `complaint_status`:
    the status as readers see it (`RegionClock.status_column`)."""
    if dataset is COMPLAINTS:
        rows = _complaint_rows(engine, sql, since, until, complaint_status)
    else:
        rows = _permit_rows(engine, sql, since, until, today)
    pieces = _csv_lines(dataset.fields, rows) if format == "csv" else _json_pieces(rows)
    return _chunked(pieces)

"""Cursor (keyset) pagination: ``items`` plus an opaque ``next_cursor``; never an offset scan."""

import base64
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    bindparam,
    tuple_,
)
from sqlalchemy.sql import Select

from backend.db import BIGINT_MAX, INTEGER_MAX
from backend.errors import Unprocessable
from shared.errors import ErrorCode

T = TypeVar("T")
_Statement = TypeVar("_Statement", bound=Select[*tuple[Any, ...]])

MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 100).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` from the previous page.")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise _foreign_cursor()
    return values


def _foreign_cursor() -> Unprocessable:
    return Unprocessable.for_field(
        "cursor", ErrorCode.VALIDATION_FAILED, "The cursor is not one this API issued."
    )


def _typed(column: Any, value: Any) -> Any:
    """A cursor value in its column's Python type: JSON carries dates and times as ISO text, and
    PostgreSQL will not compare a date or timestamp column with text.

    A cursor comes back from the client, so anything else it could hold (a number past the
    column's range, a list, text for an id) is refused here instead of failing in the database."""
    column_type = getattr(column, "type", None)
    column_type = getattr(column_type, "impl", column_type)  # through UTCDateTime to DateTime
    if isinstance(column_type, Boolean):
        valid = isinstance(value, bool)
    elif isinstance(column_type, Integer):
        bound = BIGINT_MAX if isinstance(column_type, BigInteger) else INTEGER_MAX
        valid = type(value) is int and -bound - 1 <= value <= bound
    elif isinstance(column_type, Date | DateTime):
        return _parsed(column_type, value)
    else:
        valid = isinstance(value, str | int | float) and not isinstance(value, bool)
    if not valid:
        raise _foreign_cursor()
    return value


def _parsed(column_type: Date | DateTime, value: Any) -> date | datetime:
    if not isinstance(value, str):
        raise _foreign_cursor()
    parse = datetime.fromisoformat if isinstance(column_type, DateTime) else date.fromisoformat
    try:
        parsed = parse(value)
    except ValueError:
        raise _foreign_cursor() from None
    if isinstance(column_type, DateTime) and column_type.timezone and not _has_utc_time(parsed):
        raise _foreign_cursor()
    return parsed


def _has_utc_time(moment: date) -> bool:
    """What a UTC column takes: an offset (every cursor this API issues has one) and a UTC time
    inside the calendar (year 1 at +14:00 has none)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def after_cursor(
    statement: _Statement, columns: Sequence[Any], cursor: str | None, *, descending: bool = False
) -> _Statement:
    """Order ``statement`` by ``columns`` (ascending, or all descending for newest-first lists)
    and start after the cursor's row."""
    statement = statement.order_by(*(column.desc() if descending else column for column in columns))
    if cursor:
        start = tuple_(*cursor_values(columns, cursor))
        keys = tuple_(*columns)
        statement = statement.where(keys < start if descending else keys > start)
    return statement


def cursor_values(columns: Sequence[Any], cursor: str) -> list[Any]:
    """The cursor's row key, one value per column, checked against the columns' types."""
    values = decode_cursor(cursor, size=len(columns))
    return [_typed(column, value) for column, value in zip(columns, values, strict=True)]


def after_bound(columns: Sequence[Any], *, descending: bool = False) -> ColumnElement[bool]:
    """`after_cursor`'s condition for a statement built once: the cursor's values are bound at
    each execution as ``after_0``, ``after_1`` ... (see `bound_cursor`)."""
    start = tuple_(*(bindparam(f"after_{i}", type_=c.type) for i, c in enumerate(columns)))
    keys = tuple_(*columns)
    return keys < start if descending else keys > start


def bound_cursor(columns: Sequence[Any], cursor: str) -> dict[str, Any]:
    return {f"after_{i}": value for i, value in enumerate(cursor_values(columns, cursor))}


def page_of(rows: list[T], *, limit: int, key: Any) -> tuple[list[T], str | None]:
    """Split a fetch of ``limit + 1`` rows into the page and the cursor for the next one."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(key(page[-1]))

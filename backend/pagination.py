"""Cursor (keyset) pagination: ``items`` plus an opaque ``next_cursor``; never an offset scan."""

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlalchemy.sql import Select

from backend.errors import Unprocessable
from shared.errors import ErrorCode

T = TypeVar("T")

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
        raise Unprocessable.for_field(
            "cursor", ErrorCode.VALIDATION_FAILED, "The cursor is not one this API issued."
        )
    return values


def after_cursor(
    statement: Select, columns: Sequence[Any], cursor: str | None, *, descending: bool = False
) -> Select:
    """Order ``statement`` by ``columns`` (ascending, or all descending for newest-first lists)
    and start after the cursor's row."""
    statement = statement.order_by(*(column.desc() if descending else column for column in columns))
    if cursor:
        values = decode_cursor(cursor, size=len(columns))
        keys, start = tuple_(*columns), tuple_(*values)
        statement = statement.where(keys < start if descending else keys > start)
    return statement


def page_of(rows: list[T], *, limit: int, key: Any) -> tuple[list[T], str | None]:
    """Split a fetch of ``limit + 1`` rows into the page and the cursor for the next one."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(key(page[-1]))

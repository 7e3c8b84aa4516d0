"""``Idempotency-Key`` for creating requests: a retried POST returns the first result.

A phone on a bad network (or the app's offline outbox) may send the same POST twice. The first
response is stored under (caller, scope, key) with a hash of the request body; a retry with the
same body gets that response again, a retry with a different body is a 422 problem.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import JSON, Column, Row, UniqueConstraint, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from backend.db import UTCDateTime, table_of, utcnow
from backend.errors import Unprocessable
from shared.errors import ErrorCode

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="A unique key per logical request (e.g. a UUID); retries reuse it.",
    ),
]


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    scope: str = Field(max_length=64)
    key: str = Field(max_length=128)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Built once (building a statement costs more than running it); the caller, scope and key
# are bound at execution.
_records = table_of(IdempotencyRecord).c
_FIND = select(_records.request_hash, _records.status_code, _records.response_body).where(
    _records.user_id == bindparam("user_id"),
    _records.scope == bindparam("scope"),
    _records.key == bindparam("key"),
)
_KEEP = insert(table_of(IdempotencyRecord))


def _find(session: Session, *, user_id: int, scope: str, key: str) -> Row[Any] | None:
    """The first answer to (caller, scope, key): its request's hash, status and body."""
    return session.execute(_FIND, {"user_id": user_id, "scope": scope, "key": key}).first()


def _replay(record: Row[Any], fingerprint: str) -> JSONResponse:
    if record.request_hash != fingerprint:
        raise Unprocessable.for_field(
            "Idempotency-Key",
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used for a different request.",
        )
    return JSONResponse(
        record.response_body,
        status_code=record.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def run_once(
    session: Session,
    *,
    user_id: int,
    scope: str,
    key: str | None,
    payload: Any,
    create: Callable[[], BaseModel | Sequence[BaseModel]],
    status_code: int = 201,
    before_commit: Callable[[], None] | None = None,
) -> JSONResponse:
    """Run ``create`` once per key and commit; replay the stored response for a retry.

    `before_commit` runs after `create`, in the same transaction, just before the commit (a
    rate limit's charge): a replay runs neither. Two concurrent requests with one key: the
    loser's insert collides on the unique constraint, its work is rolled back and it answers
    with the winner's response.
    """
    fingerprint = request_hash(payload)
    if key is not None:
        existing = _find(session, user_id=user_id, scope=scope, key=key)
        if existing is not None:
            return _replay(existing, fingerprint)
    body = to_jsonable_python(create())
    try:
        if key is not None:
            record = {
                "user_id": user_id,
                "scope": scope,
                "key": key,
                "request_hash": fingerprint,
                "status_code": status_code,
                "response_body": body,
                "created_at": utcnow(),
            }
            session.execute(_KEEP, record)
        if before_commit is not None:
            before_commit()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _find(session, user_id=user_id, scope=scope, key=key) if key else None
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return JSONResponse(body, status_code=status_code)

"""Offline outbox: submissions made without network wait in SQLite until the API is reachable.

Each item keeps its method, path, JSON body (or copies of its files, sent as multipart) and an
idempotency key chosen when it was queued. `flush()` sends waiting items oldest first with that
key, so a request that reached the server but whose answer was lost (or an app killed mid-send) is
created once.

An item may come `after` another one and use its answer: a complaint's photos are queued as a
second item whose path, `/complaints/{id}/photos`, is filled in from the complaint the first item
created. Both survive restarts, so "complaint + photos" is sent once, in that order, whenever the
API is reachable again.
"""

import asyncio
import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from mobile.core.api import ApiClient, ApiError, Offline, Upload

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    files TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    problem TEXT,
    response TEXT,
    after_id INTEGER REFERENCES outbox (id),
    kind TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    part TEXT NOT NULL DEFAULT 'files',
    account TEXT NOT NULL DEFAULT ''
)
"""


class OutboxStatus(StrEnum):
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"  # the server refused it for good; `problem` says why


@dataclass(frozen=True)
class OutboxItem:
    id: int
    method: str
    path: str
    body: dict[str, Any]
    files: list[str]
    idempotency_key: str
    status: OutboxStatus
    created_at: float
    attempts: int
    problem: dict[str, Any] | None
    response: Any
    after_id: int | None  # the item whose answer fills in `path`; sent first
    kind: str  # what it is for the user (`outbox.kind.<kind>`), e.g. "complaint"
    title: str  # the user's own words for it, e.g. the complaint's title
    part: str  # the multipart name its files are sent as (see `ApiClient.send`)
    account: str  # who queued it (`Session.account`); sent only while they are signed in

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "OutboxItem":
        return cls(
            id=row["id"],
            method=row["method"],
            path=row["path"],
            body=json.loads(row["body"]),
            files=json.loads(row["files"]),
            idempotency_key=row["idempotency_key"],
            status=OutboxStatus(row["status"]),
            created_at=row["created_at"],
            attempts=row["attempts"],
            problem=json.loads(row["problem"]) if row["problem"] else None,
            response=json.loads(row["response"]) if row["response"] else None,
            after_id=row["after_id"],
            kind=row["kind"],
            title=row["title"],
            part=row["part"],
            account=row["account"],
        )


@dataclass(frozen=True)
class FlushResult:
    sent: int
    failed: int
    waiting: int


class Outbox:
    """The device's outbox. Items belong to the account that queued them: `account` is the one
    signed in now, and only its items are listed and sent, so nothing written as one resident
    is ever sent as another who signs in on the same phone."""

    def __init__(self, directory: Path, account: str = "") -> None:
        self.account = account
        self._directory = Path(directory)
        self._files = self._directory / "files"
        self._directory.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement is durable on its own, so a killed app loses nothing.
        self._db = sqlite3.connect(self._directory / "outbox.sqlite3", isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute(_SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "part" not in columns:  # an outbox kept from before files had other part names
            self._db.execute("ALTER TABLE outbox ADD COLUMN part TEXT NOT NULL DEFAULT 'files'")
        if "account" not in columns:  # kept from before items had an owner: see `adopt`
            self._db.execute("ALTER TABLE outbox ADD COLUMN account TEXT NOT NULL DEFAULT ''")
        self._flushing = asyncio.Lock()

    def close(self) -> None:
        self._db.close()

    def add(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        files: Sequence[str | Path] = (),
        *,
        after: OutboxItem | None = None,
        kind: str = "",
        title: str = "",
        part: str = "files",
    ) -> OutboxItem:
        """Queue a request; attached files are copied so the user may delete or move theirs.

        With `after`, the request waits for that item and `path` is formatted with its answer.
        """
        key = str(uuid.uuid4())
        copies = []
        if files:
            folder = self._files / key
            folder.mkdir(parents=True)
            for index, source in enumerate(map(Path, files)):
                # The index keeps two attachments with the same name apart.
                copy = folder / f"{index}-{source.name}"
                shutil.copyfile(source, copy)
                copies.append(str(copy))
        cursor = self._db.execute(
            "INSERT INTO outbox (method, path, body, files, idempotency_key, status, created_at,"
            " after_id, kind, title, part, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                method,
                path,
                json.dumps(body),
                json.dumps(copies),
                key,
                OutboxStatus.WAITING,
                time.time(),
                after.id if after else None,
                kind,
                title,
                part,
                self.account,
            ),
        )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return self.get(cursor.lastrowid)

    def adopt(self) -> None:
        """Give items queued before items had an owner to the account signed in now (the one
        that was signed in when they were written)."""
        self._db.execute("UPDATE outbox SET account = ? WHERE account = ''", (self.account,))

    def get(self, item_id: int) -> OutboxItem:
        row = self._db.execute("SELECT * FROM outbox WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return OutboxItem.from_row(row)

    def items(self, *statuses: OutboxStatus) -> list[OutboxItem]:
        """The account's items in the order they were queued, optionally only in `statuses`."""
        wanted = statuses or tuple(OutboxStatus)
        marks = ", ".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT * FROM outbox WHERE account = ? AND status IN ({marks}) ORDER BY id",
            (self.account, *wanted),
        ).fetchall()
        return [OutboxItem.from_row(row) for row in rows]

    def discard(self, item_id: int) -> None:
        """Drop an item the user gave up on (typically a failed one), the items that depend on
        it, and their file copies."""
        item = self.get(item_id)
        dependents = self._db.execute("SELECT id FROM outbox WHERE after_id = ?", (item_id,))
        for (dependent,) in dependents.fetchall():
            self.discard(dependent)
        self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        shutil.rmtree(self._files / item.idempotency_key, ignore_errors=True)

    async def flush(self, api: ApiClient) -> FlushResult:
        """Send waiting items in order; stop at the first one the server cannot take right now."""
        sent = failed = 0
        async with self._flushing:  # two flushes at once would send the same item twice
            for item in self.items(OutboxStatus.WAITING):
                if item.account != self.account:  # signed out meanwhile: theirs waits for them
                    break
                path = item.path
                if item.after_id is not None:
                    first = self.get(item.after_id)
                    if first.status is OutboxStatus.FAILED:  # nothing to attach to: same fate
                        self._finish(item, OutboxStatus.FAILED, problem=first.problem)
                        failed += 1
                        continue
                    path = path.format(**first.response)  # sent: items go in order
                self._db.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item.id,)
                )
                try:
                    response = await api.send(
                        item.method,
                        path,
                        body=item.body,
                        uploads=[Upload(Path(file)) for file in item.files],
                        part=item.part,
                        idempotency_key=item.idempotency_key,
                    )
                except Offline:
                    break
                except ApiError as error:
                    if not error.permanent:
                        break  # server trouble, throttling or signed out: try again later
                    self._finish(item, OutboxStatus.FAILED, problem=error.as_problem())
                    failed += 1
                    continue
                self._finish(item, OutboxStatus.SENT, response=response)
                sent += 1
        return FlushResult(sent, failed, len(self.items(OutboxStatus.WAITING)))

    def _finish(
        self,
        item: OutboxItem,
        status: OutboxStatus,
        *,
        problem: dict[str, Any] | None = None,
        response: Any = None,
    ) -> None:
        self._db.execute(
            "UPDATE outbox SET status = ?, problem = ?, response = ? WHERE id = ?",
            (
                status,
                json.dumps(problem) if problem else None,
                json.dumps(response) if response is not None else None,
                item.id,
            ),
        )
        if status is OutboxStatus.SENT:
            shutil.rmtree(self._files / item.idempotency_key, ignore_errors=True)

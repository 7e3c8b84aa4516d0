"""Offline outbox: submissions made without network wait in SQLite until the API is reachable.

Each item keeps its method, path, JSON body, copies of its attached files and an idempotency key
chosen when it was queued. `flush()` sends waiting items oldest first with that key, so a request
that reached the server but whose answer was lost (or an app killed mid-send) is created once.
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
    response TEXT
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
    body: dict
    files: list[str]
    idempotency_key: str
    status: OutboxStatus
    created_at: float
    attempts: int
    problem: dict | None
    response: Any

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
        )


@dataclass(frozen=True)
class FlushResult:
    sent: int
    failed: int
    waiting: int


class Outbox:
    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)
        self._files = self._directory / "files"
        self._directory.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement is durable on its own, so a killed app loses nothing.
        self._db = sqlite3.connect(self._directory / "outbox.sqlite3", isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute(_SCHEMA)
        self._flushing = asyncio.Lock()

    def close(self) -> None:
        self._db.close()

    def add(
        self, method: str, path: str, body: dict, files: Sequence[str | Path] = ()
    ) -> OutboxItem:
        """Queue a request; attached files are copied so the user may delete or move theirs."""
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
            "INSERT INTO outbox (method, path, body, files, idempotency_key, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                method,
                path,
                json.dumps(body),
                json.dumps(copies),
                key,
                OutboxStatus.WAITING,
                time.time(),
            ),
        )
        return self.get(cursor.lastrowid)

    def get(self, item_id: int) -> OutboxItem:
        row = self._db.execute("SELECT * FROM outbox WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return OutboxItem.from_row(row)

    def items(self, *statuses: OutboxStatus) -> list[OutboxItem]:
        """Items in the order they were queued, optionally only those in `statuses`."""
        wanted = statuses or tuple(OutboxStatus)
        marks = ", ".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id", wanted
        ).fetchall()
        return [OutboxItem.from_row(row) for row in rows]

    def discard(self, item_id: int) -> None:
        """Drop an item the user gave up on (typically a failed one) and its file copies."""
        item = self.get(item_id)
        self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
        shutil.rmtree(self._files / item.idempotency_key, ignore_errors=True)

    async def flush(self, api: ApiClient) -> FlushResult:
        """Send waiting items in order; stop at the first one the server cannot take right now."""
        sent = failed = 0
        async with self._flushing:  # two flushes at once would send the same item twice
            for item in self.items(OutboxStatus.WAITING):
                self._db.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item.id,)
                )
                try:
                    response = await api.send(
                        item.method,
                        item.path,
                        body=item.body,
                        uploads=[Upload(Path(file)) for file in item.files],
                        idempotency_key=item.idempotency_key,
                    )
                except Offline:
                    break
                except ApiError as error:
                    if not error.permanent:
                        break  # server trouble, throttling or signed out: try again later
                    self._finish(item, OutboxStatus.FAILED, problem=_problem(error))
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
        problem: dict | None = None,
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


def _problem(error: ApiError) -> dict:
    return {
        "status": error.status,
        "code": error.code,
        "title": error.title,
        "detail": error.detail,
        "errors": [vars(problem) for problem in error.errors],
    }

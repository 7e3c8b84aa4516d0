"""Reads never write: every GET endpoint of the API, as every kind of caller, runs no INSERT,
UPDATE or DELETE (a complaint past its reopen window included, which reads as closed without
being closed)."""

import datetime as dt
import re

from sqlalchemy import event

from backend.complaints.models import Complaint
from tests.backend.complaints.complaint_helpers import act, file_complaint

# Endpoints that never end (a live stream) are read by their own tests.
ENDLESS = {"/api/v1/notifications/stream"}
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# The one write a read may make: checking a certificate appends to its audit trail (who checked
# which permit when, for spotting forged copies), and nothing else.
AUDIT_TRAIL = re.compile(r"^\s*INSERT INTO permit_verification\b", re.IGNORECASE)


def _path(template: str, complaint_id: int) -> str:
    path = template.replace("{complaint_id}", str(complaint_id)).replace("{format}", "json")
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_no_get_endpoint_writes(client, app, callers, session):
    complaint = await file_complaint(client, callers.resident)
    await act(client, complaint, "verify", callers.road_officer)
    await act(client, complaint, "resolve", callers.road_officer, note="Selesai.")
    row = session.get(Complaint, complaint["id"])
    session.refresh(row)
    row.resolved_at -= dt.timedelta(days=30)  # its reopen window is long past
    session.commit()

    writes: list[str] = []
    engine = app.state.engine

    def on_statement(_connection, _cursor, statement, *_args) -> None:
        if WRITES.match(statement) and not AUDIT_TRAIL.match(statement):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", on_statement)
    paths = sorted(
        _path(path, complaint["id"])
        for path, operations in app.openapi()["paths"].items()
        if "get" in operations and path not in ENDLESS
    )
    assert len(paths) > 30  # the sweep found the API's reads
    callers_by_kind = {
        "anonymous": {},
        "resident": callers.resident,
        "officer": callers.road_officer,
        "supervisor": callers.road_supervisor,
        "admin": callers.admin,
    }
    answered = set()
    for kind, headers in callers_by_kind.items():
        for path in paths:
            response = await client.get(path, headers=headers)
            assert response.status_code < 500, (kind, path, response.text)
            assert not writes, (kind, path, writes)
            answered.add(response.status_code)
    assert 200 in answered
    row = session.get(Complaint, complaint["id"])
    session.refresh(row)
    assert row.status == "resolved"

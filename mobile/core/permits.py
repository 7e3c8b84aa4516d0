"""Permit applications on the device: sending a submission through the outbox when offline,
which buttons a role sees, where the server's problems belong, and downloading an issued
permit's certificate and where it is kept.

The API names each problem of an incomplete application `answers.<field>` or
`documents.<kind>`; `problems_under` sorts them so a screen can show each at its place.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from mobile.core.api import PERMIT_DOCUMENT_PART, ApiClient, ApiError, FieldProblem, Offline
from mobile.core.outbox import Outbox, OutboxItem, OutboxStatus
from shared.errors import ErrorCode
from shared.permits import PERMIT_MACHINE, PermitStatus
from shared.roles import Role

# Outbox kinds: a submission is the draft (when it was never created online), its documents,
# then the submit (or resubmit) action.
PERMIT_APPLICATION = "permit_application"
PERMIT_DOCUMENT = "permit_document"
PERMIT_SUBMISSION = "permit_submission"
ANSWERS = "answers."
DOCUMENTS = "documents."

# The staff actions of the API, each with the state-machine action that must be allowed for it.
# `approve` is one endpoint for both: a middle step's approval and the last step's decision.
_STAFF_ACTIONS = {
    "claim": "claim",
    "take_over": "take_over",
    "approve": "approve_step",
    "request_info": "request_info",
    "reject": "reject",
    "record_payment": "record_payment",
    "assign": "assign",
    "revoke": "revoke",
    "comment": "comment",
}
# Actions on the step under review: only the role the step names may take them.
_STEP_ACTIONS = {"claim", "approve", "request_info", "reject"}
_RESIDENT_ACTIONS = ("resubmit", "withdraw", "comment")


def queue_submission(
    outbox: Outbox,
    *,
    permit_type: str,
    title: str,
    application: dict[str, Any] | None,
    answers: dict[str, Any],
    documents: Mapping[str, Path],
    action: str = "submit",
) -> OutboxItem:
    """Queue a submission made without network; return its last item.

    Each request is safe to send again: creating and submitting carry the outbox's idempotency
    key, answers and documents replace what was there. `application` is the draft when it was
    created online before the network went; otherwise the draft is created first and the other
    items are sent to it. `answers` are the changes to save, `documents` the files by kind.
    """
    first = None
    if application is None:
        body = {"permit_type": permit_type, "answers": answers}
        first = outbox.add(
            "POST", "/permits/applications", body, kind=PERMIT_APPLICATION, title=title
        )
        path = "/permits/applications/{id}"  # filled in from the draft the first item made
    else:
        path = f"/permits/applications/{application['id']}"
        outbox.add("PATCH", path, {"answers": answers}, kind=PERMIT_APPLICATION, title=title)
    for kind, file in documents.items():
        outbox.add(
            "POST",
            f"{path}/documents/{kind}",
            None,
            [file],
            after=first,
            kind=PERMIT_DOCUMENT,
            title=title,
            part=PERMIT_DOCUMENT_PART,
        )
    return outbox.add(
        "POST",
        f"{path}/actions/{action}",
        None,
        after=first,
        kind=PERMIT_SUBMISSION,
        title=title,
    )


def waiting_submissions(outbox: Outbox) -> list[OutboxItem]:
    """Submissions made on this device that the server has not received yet."""
    return [item for item in outbox.items(OutboxStatus.WAITING) if item.kind == PERMIT_SUBMISSION]


def problems_under(error: ApiError | Offline | None, prefix: str) -> dict[str, FieldProblem]:
    """The problems an error names under `prefix` (`ANSWERS` or `DOCUMENTS`), by code."""
    if not isinstance(error, ApiError):
        return {}
    return {
        name.removeprefix(prefix): problem
        for name, problem in error.field_errors().items()
        if name.startswith(prefix)
    }


def staff_actions(application: dict[str, Any], role: str, user_id: int | None = None) -> list[str]:
    """The actions an officer or supervisor may take on `application` now, for its buttons.

    The shared state machine decides by status and role; on a step under review, the step's
    own role decides too (or holding it after taking it over, for a supervisor). A claim is
    offered only on a step nobody holds; on a step a colleague holds, a supervisor is offered to
    take it over instead (a claim would be refused with `step_not_held`, and so would an
    approval: deciding a step takes holding it).
    """
    status = application["status"]
    step = application["current_step"]
    holder = application["assignee_id"]
    held_by_colleague = holder is not None and holder != user_id
    took_over = role == Role.SUPERVISOR and holder is not None and holder == user_id
    actions = []
    for action, machine_action in _STAFF_ACTIONS.items():
        if not PERMIT_MACHINE.can(machine_action, status, Role(role)):
            continue
        if action in _STEP_ACTIONS and (step is None or (step["role"] != role and not took_over)):
            continue
        if action == "claim" and holder is not None:
            continue
        if action == "approve" and held_by_colleague:
            continue
        if action == "take_over" and not held_by_colleague:
            continue
        actions.append(action)
    return actions


def resident_actions(application: dict[str, Any]) -> list[str]:
    """What the applicant may do: answer an information request, withdraw, write a message."""
    return [
        action
        for action in _RESIDENT_ACTIONS
        if PERMIT_MACHINE.can(action, application["status"], Role.RESIDENT)
    ]


def is_editable(application: dict[str, Any]) -> bool:
    """A draft, or an application the reviewer sent back with questions."""
    return application["status"] in (PermitStatus.DRAFT, PermitStatus.NEEDS_INFO)


def request_note(application: dict[str, Any]) -> str:
    """What the reviewer wrote when they last asked for information."""
    asked = [event for event in application["timeline"] if event["action"] == "request_info"]
    return asked[-1]["note"] if asked else ""


def verification_code(permit: dict[str, Any]) -> str:
    """The code at the end of the permit's public verification URL (`.../verify/{code}`)."""
    return permit["verification_url"].rstrip("/").rsplit("/", 1)[-1]


def _safe(name: str) -> str:
    """A file name from text that may hold slashes (permit numbers) or odd characters."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name)


# The longest the app waits, whatever `Retry-After` says, before asking again for a certificate.
CERTIFICATE_WAIT_SECONDS = 10


async def download_certificate(
    api: ApiClient,
    application_id: int,
    *,
    waiting: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes | None:
    """The issued permit's certificate PDF, or None while the server is still preparing it.

    The server produces a certificate just after it issues the permit; asked for in between,
    it answers 503 `certificate_not_ready` with `Retry-After`. Then this waits that long
    (through `waiting`, so a screen can say why) and asks once more.
    """
    for attempt in range(2):
        try:
            return await api.permit_certificate(application_id)
        except ApiError as error:
            if error.code != ErrorCode.CERTIFICATE_NOT_READY:
                raise
            if attempt == 0:
                await waiting(min(error.retry_after or 1, CERTIFICATE_WAIT_SECONDS))
    return None


def certificate_path(data_dir: Path, permit: dict[str, Any]) -> Path:
    """Where the app keeps a permit's certificate."""
    return Path(data_dir) / "certificates" / f"{_safe(permit['permit_number'])}.pdf"


def document_path(data_dir: Path, application_id: int, document: dict[str, Any]) -> Path:
    """Where the app keeps a copy of an application's document, opened for reading."""
    name = f"{document['id']}-{_safe(document['file_name'])}"
    return Path(data_dir) / "documents" / str(application_id) / name


def save_download(path: Path, data: bytes) -> Path:
    """Write a downloaded file whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return path

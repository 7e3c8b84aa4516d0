"""GeoReport v2 over Warga's complaints: the rules and the database work.

Services are the active complaint categories (`service_code` is the category code); a
service's definition lists the category's extra questions; a service request is a complaint.
A request filed here becomes a complaint like any other (routed, queued, with deadlines), filed
under the client's channel account with the submitter's contact kept private. Requests read
here are what the public may see (`complaints.access.public`): never a confidential or rejected
complaint, never a name or contact.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.datastructures import UploadFile

from backend.accounts.models import User
from backend.clients.models import ApiClient, ComplaintChannel
from backend.clients.service import record_channel
from backend.complaints import access
from backend.complaints import service as complaints
from backend.complaints.models import Complaint, ComplaintEvent, ComplaintPhoto
from backend.complaints.schemas import ComplaintCreate
from backend.config import Settings
from backend.db import INTEGER_MAX, utcnow
from backend.errors import Problem
from backend.region.models import Agency, ComplaintCategory
from backend.region.pack import FieldType, FormField
from backend.region.service import RegionSnapshot, list_categories, region_snapshot
from shared.complaints import OPEN_STATUSES
from shared.roles import STAFF_ROLES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000  # the specification's default query limit
MAX_SPAN = dt.timedelta(days=90)
# Text PostgreSQL cannot store (as backend.edge refuses it in JSON bodies and parameters).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# How each type of question is presented to Open311 clients.
DATATYPES = {
    FieldType.TEXT: "string",
    FieldType.TEXTAREA: "text",
    FieldType.NUMBER: "number",
    FieldType.INTEGER: "number",
    FieldType.DATE: "datetime",
    FieldType.CHOICE: "singlevaluelist",
    FieldType.MULTICHOICE: "multivaluelist",
    FieldType.BOOLEAN: "singlevaluelist",  # yes/no: two values
    FieldType.EMAIL: "string",
    FieldType.PHONE: "string",
    FieldType.NIK: "string",
    FieldType.COORDINATES: "string",
}
YES_NO = {"true": ("Ya", "Yes"), "false": ("Tidak", "No")}


class Open311Error(Exception):
    """An answer from the specification's error list: 400, 403 or 404 and what went wrong."""

    def __init__(
        self, status: int, *descriptions: str, headers: dict[str, Any] | None = None
    ) -> None:
        super().__init__(descriptions)
        self.status = status
        self.descriptions = descriptions
        self.headers = headers


def _pick(texts: tuple[str, str], language: str) -> str:
    return texts[1] if language == "en" else texts[0]


def check_jurisdiction(session: Session, settings: Settings, jurisdiction_id: str | None) -> None:
    """One jurisdiction is served: its region code or the public host name, or none given."""
    if not jurisdiction_id:
        return
    host = urlsplit(settings.public_origin).hostname
    if jurisdiction_id not in (region_snapshot(session).code, host):
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id!r} was not found")


# --- Discovery and services -------------------------------------------------------------------


def discovery(session: Session, settings: Settings) -> dict[str, Any]:
    region = region_snapshot(session)
    changeset = _w3(region.loaded_at, region)
    return {
        "changeset": changeset,
        "contact": f"Diskominfo {region.name_id} — {settings.public_origin}",
        "key_service": "Ask the city's Diskominfo for an API client with the open311 scope; "
        "its client_secret is the api_key (docs/integrations.md).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": settings.public_origin + "/open311/v2",
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def services(session: Session, *, language: str) -> list[dict[str, Any]]:
    items = []
    for category in list_categories(session):
        agency = category.agency
        items.append(
            {
                "service_code": category.code,
                "service_name": _pick((category.name_id, category.name_en), language),
                "description": _pick((category.description_id, category.description_en), language),
                "metadata": bool(category.questions),
                "type": "realtime",
                "keywords": ", ".join(dict.fromkeys([category.name_id, category.name_en])),
                "group": _pick((agency.name_id, agency.name_en), language),
            }
        )
    return items


def _category(session: Session, code: str | None) -> ComplaintCategory:
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = session.scalar(
        select(ComplaintCategory).where(
            col(ComplaintCategory.code) == code, col(ComplaintCategory.active)
        )
    )
    if category is None:
        raise Open311Error(404, f"service_code {code!r} was not found")
    return category


def _attribute(field: FormField, order: int, language: str) -> dict[str, Any]:
    if field.type == FieldType.BOOLEAN:
        values = [{"key": key, "name": _pick(names, language)} for key, names in YES_NO.items()]
    else:
        values = [
            {"key": choice.value, "name": choice.label.in_language(language)}
            for choice in field.choices
        ]
    attribute = {
        "variable": True,
        "code": field.code,
        "datatype": DATATYPES[field.type],
        "required": field.required,
        "datatype_description": field.help.in_language(language) if field.help else None,
        "order": order,
        "description": field.label.in_language(language),
    }
    if values:
        attribute["values"] = values
    return attribute


def service_definition(session: Session, *, code: str, language: str) -> dict[str, Any]:
    category = _category(session, code)
    return {
        "service_code": category.code,
        "attributes": [
            _attribute(field, order, language)
            for order, field in enumerate(category.question_fields(), start=1)
        ],
    }


# --- Filing a request -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestForm:
    """POST requests' form, as sent (every value a string; lists for multivaluelist)."""

    fields: dict[str, str]
    attributes: dict[str, str | list[str]]

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str | UploadFile]]) -> "RequestForm":
        fields: dict[str, str] = {}
        attributes: dict[str, str | list[str]] = {}
        for name, value in items:
            if not isinstance(value, str):  # a file in a multipart body: nothing asks for one
                continue
            if UNSTORABLE.search(name) or UNSTORABLE.search(value):
                raise Open311Error(
                    400, f"{name} holds a character that cannot be stored (such as U+0000)"
                )
            if name.startswith("attribute[") and name.endswith("[]"):
                code = name[len("attribute[") : -3]
                existing = attributes.get(code)
                attributes[code] = [*existing, value] if isinstance(existing, list) else [value]
            elif name.startswith("attribute[") and name.endswith("]"):
                attributes[name[len("attribute[") : -1]] = value
            else:
                fields[name] = value.strip()
        return cls(fields, attributes)

    def get(self, name: str) -> str | None:
        return self.fields.get(name) or None  # empty means not given (spec: Optional Arguments)


def _answer(field: FormField, value: str | list[str]) -> object:
    """An attribute's text in the type the category's question takes (checked after)."""
    if field.type == FieldType.MULTICHOICE:
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        return value
    if field.type == FieldType.BOOLEAN:
        return {"true": True, "false": False}.get(value.lower(), value)
    if field.type in (FieldType.NUMBER, FieldType.INTEGER):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if field.type == FieldType.INTEGER and number.is_integer() else number
    if field.type == FieldType.DATE:
        return value[:10]  # a datetime's date
    return value


def _coordinate(form: RequestForm, name: str) -> float:
    try:
        return float(form.get(name) or "")
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None


def _problem_descriptions(problem: Problem) -> list[str]:
    if problem.errors:
        return [f"{error.field}: {error.message}" for error in problem.errors]
    return [problem.detail or "The request cannot be filed."]


# The channel table's column sizes: longer contact details are refused, not cut.
_CONTACT_LIMITS = {
    "submitter_email": 254,
    "submitter_phone": 32,
    "media_url": 2000,
    "submitter_name": 200,
}


def file_request(
    session: Session, *, client: ApiClient, form: RequestForm, language: str
) -> list[dict[str, Any]]:
    category = _category(session, form.get("service_code"))
    if form.get("lat") is None or form.get("long") is None:
        raise Open311Error(
            400,
            "lat and long are required: requests are placed on the city's map by their "
            "coordinates (address_string and address_id alone cannot be placed)",
        )
    fields = {field.code: field for field in category.question_fields()}
    unknown = sorted(set(form.attributes) - set(fields))
    if unknown:
        raise Open311Error(
            400, *(f"attribute[{code}] is not a question of this service" for code in unknown)
        )
    service_name = _pick((category.name_id, category.name_en), language)
    description = form.get("description") or service_name
    if len(description) < 10:
        description = f"{service_name}: {description}"
    title = description.splitlines()[0][:120]
    if len(title) < 5:
        title = service_name[:120]
    try:
        data = ComplaintCreate(
            category=category.code,
            title=title,
            description=description[:4000],
            latitude=_coordinate(form, "lat"),
            longitude=_coordinate(form, "long"),
            address=form.get("address_string"),
            answers={code: _answer(fields[code], value) for code, value in form.attributes.items()},
        )
    except ValidationError as error:
        raise Open311Error(
            400, *(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        ) from None
    contact = {
        "submitter_email": form.get("email"),
        "submitter_phone": form.get("phone"),
        "media_url": form.get("media_url"),
        "submitter_name": " ".join(
            part for part in (form.get("first_name"), form.get("last_name")) if part
        )
        or None,
    }
    too_long = [name for name, limit in _CONTACT_LIMITS.items() if len(contact[name] or "") > limit]
    if too_long:
        raise Open311Error(
            400, *(f"{name.removeprefix('submitter_')} is too long" for name in too_long)
        )
    reporter = session.get_one(User, client.channel_user_id)
    try:
        complaint = complaints.file_complaint(session, reporter=reporter, data=data)
    except Problem as problem:
        raise Open311Error(400, *_problem_descriptions(problem)) from None
    record_channel(session, complaint=complaint, client=client, via="open311", **contact)
    agency = session.get_one(Agency, complaint.agency_id)
    notice = _pick(
        (
            f"Diterima sebagai {complaint.tracking_number} dan diteruskan ke {agency.name_id}.",
            f"Received as {complaint.tracking_number} and routed to {agency.name_en}.",
        ),
        language,
    )
    return [{"service_request_id": str(complaint.id), "service_notice": notice, "account_id": None}]


# --- Reading requests -------------------------------------------------------------------------


def _w3(moment: dt.datetime, region: RegionSnapshot) -> str:
    return moment.astimezone(ZoneInfo(region.time_zone)).isoformat(timespec="seconds")


def _parse_w3(name: str, text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400, f"{name} is not a w3 date-time such as 2026-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or an offset)")
    return moment


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def find_requests(
    session: Session, *, params: dict[str, str], now: dt.datetime | None = None
) -> list[Complaint]:
    """GET requests: by ids (which overrides every other filter), or by service codes, period
    (90 days at most; the last 90 by default) and status, newest first, 1000 at most."""
    statement = select(Complaint).where(access.public())
    if ids := _split(params.get("service_request_id")):
        numbers = [int(i) for i in ids if i.isdigit() and 0 < int(i) <= INTEGER_MAX]
        statement = statement.where(col(Complaint.id).in_(numbers))
        return list(
            session.scalars(statement.order_by(col(Complaint.id).desc()).limit(MAX_REQUESTS))
        )
    if codes := _split(params.get("service_code")):
        category_ids = select(col(ComplaintCategory.id)).where(
            col(ComplaintCategory.code).in_(codes)
        )
        statement = statement.where(col(Complaint.category_id).in_(category_ids))
    start = _parse_w3("start_date", params["start_date"]) if params.get("start_date") else None
    end = _parse_w3("end_date", params["end_date"]) if params.get("end_date") else None
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    if start is None:
        end = end or now or utcnow()
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    statement = statement.where(
        col(Complaint.created_at) >= start, col(Complaint.created_at) <= end
    )
    statuses = _split(params.get("status"))
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status must be open or closed (comma-separated)")
    if set(statuses) == {"open"}:
        statement = statement.where(col(Complaint.status).in_(OPEN_STATUSES))
    elif set(statuses) == {"closed"}:
        statement = statement.where(col(Complaint.status).not_in(OPEN_STATUSES))
    statement = statement.order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
    return list(session.scalars(statement.limit(MAX_REQUESTS)))


def get_request(session: Session, *, request_id: str) -> Complaint:
    complaint = None
    if request_id.isdigit() and 0 < int(request_id) <= INTEGER_MAX:
        complaint = session.scalar(
            select(Complaint).where(col(Complaint.id) == int(request_id), access.public())
        )
    if complaint is None:
        raise Open311Error(404, f"service_request_id {request_id!r} was not found")
    return complaint


def _status_notes(session: Session, ids: list[int]) -> dict[int, str]:
    """The latest public note of the agency on each complaint (replies, resolutions ...)."""
    rows = session.execute(
        select(col(ComplaintEvent.complaint_id), col(ComplaintEvent.note))
        .where(
            col(ComplaintEvent.complaint_id).in_(ids),
            col(ComplaintEvent.public),
            col(ComplaintEvent.note).is_not(None),
            col(ComplaintEvent.actor_role).in_([str(role) for role in STAFF_ROLES]),
        )
        .order_by(col(ComplaintEvent.id))
    )
    return {complaint_id: note for complaint_id, note in rows}


def _media_urls(session: Session, ids: list[int], settings: Settings) -> dict[int, str]:
    urls = {
        complaint_id: url
        for complaint_id, url in session.execute(
            select(col(ComplaintChannel.complaint_id), col(ComplaintChannel.media_url)).where(
                col(ComplaintChannel.complaint_id).in_(ids),
                col(ComplaintChannel.media_url).is_not(None),
            )
        )
    }
    base = settings.public_origin
    photos = session.execute(
        select(col(ComplaintPhoto.complaint_id), col(ComplaintPhoto.id))
        .where(col(ComplaintPhoto.complaint_id).in_(ids), ~col(ComplaintPhoto.from_staff))
        .order_by(col(ComplaintPhoto.id).desc())
    )
    for complaint_id, photo_id in photos:  # the first photo wins (oldest, written last)
        urls[complaint_id] = f"{base}/api/v1/complaints/{complaint_id}/photos/{photo_id}"
    return urls


def request_views(
    session: Session, complaints_found: list[Complaint], *, settings: Settings, language: str
) -> list[dict[str, Any]]:
    region = region_snapshot(session)
    zone = ZoneInfo(region.time_zone)
    ids = [c.id for c in complaints_found]
    categories = {c.id: c for c in session.scalars(select(ComplaintCategory))}
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    notes = _status_notes(session, ids)
    media = _media_urls(session, ids, settings)
    items = []
    for complaint in complaints_found:
        category, agency = categories[complaint.category_id], agencies[complaint.agency_id]
        is_open = complaint.status in OPEN_STATUSES
        expected = (
            dt.datetime.combine(complaint.due_date, dt.time(23, 59, 59), zone).isoformat()
            if is_open
            else None
        )
        items.append(
            {
                "service_request_id": str(complaint.id),
                "status": "open" if is_open else "closed",
                "status_notes": notes.get(complaint.id),
                "service_name": _pick((category.name_id, category.name_en), language),
                "service_code": category.code,
                "description": complaint.description,
                "agency_responsible": _pick((agency.name_id, agency.name_en), language),
                "service_notice": complaint.tracking_number,
                "requested_datetime": _w3(complaint.created_at, region),
                "updated_datetime": _w3(complaint.updated_at, region),
                "expected_datetime": expected,
                "address": complaint.address,
                "address_id": None,
                "zipcode": None,
                "lat": complaint.latitude,
                "long": complaint.longitude,
                "media_url": media.get(complaint.id),
            }
        )
    return items

"""The Life Room (admins: the whole city or one agency; supervisors: their agency; API clients
with `stats:read` like admins, or like supervisors when bound to an agency) and the open-data
export (public)."""

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query, Request, Response, Security
from fastapi.responses import StreamingResponse

from backend.clients.dependencies import Principal, get_principal
from backend.clients.scopes import Scope
from backend.complaints import service as complaints_service
from backend.db import CalendarDay, utcnow
from backend.dependencies import LanguageDep, SessionDep
from backend.errors import Forbidden, Unprocessable, bilingual, error_responses
from backend.http_cache import NOT_MODIFIED, is_not_modified
from backend.region import service as region_service
from backend.region.models import Agency
from backend.routing import PrefixRouter
from backend.stats import export, service
from backend.stats.grid import cell_range
from backend.stats.schemas import Dashboard, DensityGrid, Period
from backend.stats.sql import Sql
from shared.errors import ErrorCode
from shared.roles import Role
from shared.validators import BoundingBox, InvalidValue
from shared.workdays import local_day_start, to_local_date

router = PrefixRouter(prefix="/api/v1")

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 90
EXPORT_MAX_AGE = 3600

Since = Annotated[CalendarDay | None, Query(description="First day (local), included")]
Until = Annotated[
    CalendarDay | None, Query(description="Last day (local), included; default today")
]
AgencyCode = Annotated[
    str | None, Query(max_length=64, description="Agency code (admins); supervisors: their own")
]


def _period(session: SessionDep, since: Since = None, until: Until = None) -> Period:
    """The days asked for: by default the last 90 up to today, at most 366."""
    today = to_local_date(utcnow(), region_service.region_snapshot(session).time_zone)
    until = until or today
    since = since or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if since > until:
        raise Unprocessable.for_field(
            "since",
            ErrorCode.VALIDATION_FAILED,
            bilingual("since tidak boleh sesudah until.", "since must not come after until."),
        )
    if (until - since).days >= MAX_PERIOD_DAYS:
        raise Unprocessable.for_field(
            "since",
            ErrorCode.VALIDATION_FAILED,
            bilingual(
                f"Paling lama {MAX_PERIOD_DAYS} hari.", f"Ask for at most {MAX_PERIOD_DAYS} days."
            ),
        )
    return Period(start=since, end=until)


PeriodDep = Annotated[Period, Depends(_period)]


def _agency_in_view(
    session: SessionDep,
    principal: Annotated[Principal, Security(get_principal, scopes=[Scope.STATS_READ])],
    agency: AgencyCode = None,
) -> Agency | None:
    """The agency whose figures the caller sees: a supervisor's own; any (or all) for admins.
    An API client (`stats:read`) sees like an admin, or like a supervisor when bound to an
    agency."""
    if principal.client is not None:
        own_agency_id = principal.client.agency_id
    elif principal.person.role == Role.SUPERVISOR:
        own_agency_id = principal.person.agency_id
    elif principal.person.role == Role.ADMIN:
        own_agency_id = None
    else:
        raise Forbidden("Your role may not use this endpoint.")
    if own_agency_id is not None:
        own = session.get_one(Agency, own_agency_id)
        if agency not in (None, own.code):
            raise Forbidden(
                bilingual(
                    "Anda hanya melihat angka instansi Anda sendiri.",
                    "You see your own agency's figures only.",
                )
            )
        return own
    return region_service.get_agency_by_code(session, code=agency) if agency else None


AgencyInView = Annotated[Agency | None, Depends(_agency_in_view)]


@router.get(
    "/dashboard",
    tags=["dashboard"],
    response_model=Dashboard,
    responses=error_responses(401, 403, 404, 422),
)
def get_dashboard(
    session: SessionDep,
    period: PeriodDep,
    agency: AgencyInView,
    language: LanguageDep,
    response: Response,
) -> Dashboard:
    """Complaints filed in the period per agency and category: counts by status, resolved
    within deadline, median and 90th-percentile working days to resolve, overdue now, rating;
    received and resolved per week; permits issued per type."""
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "private, no-cache"
    return service.dashboard(session, period=period, agency=agency, language=language, now=utcnow())


@router.get(
    "/dashboard/density",
    tags=["dashboard"],
    response_model=DensityGrid,
    responses=error_responses(401, 403, 404, 422),
)
def get_density(
    session: SessionDep,
    period: PeriodDep,
    agency: AgencyInView,
    response: Response,
    min_lat: Annotated[float, Query(ge=-90, le=90)],
    min_lon: Annotated[float, Query(ge=-180, le=180)],
    max_lat: Annotated[float, Query(ge=-90, le=90)],
    max_lon: Annotated[float, Query(ge=-180, le=180)],
    zoom: Annotated[int, Query(ge=0, le=20, description="Web-map zoom level")],
) -> DensityGrid:
    """Complaints filed in the period counted per grid cell, for a heat map: every cell the map
    view touches, with all its complaints. A cell is a quarter of a map tile wide, fixed to the
    globe; a view may span at most 10,000 cells."""
    try:
        box = BoundingBox(min_lat=min_lat, min_lon=min_lon, max_lat=max_lat, max_lon=max_lon)
    except InvalidValue as error:
        raise Unprocessable.for_field(
            "min_lat", error.code, bilingual(error.detail_id, error.detail_en)
        ) from None
    first_row, last_row = cell_range(min_lat, max_lat, zoom, origin=90)
    first_column, last_column = cell_range(min_lon, max_lon, zoom, origin=180)
    if (last_row - first_row + 1) * (last_column - first_column + 1) > service.MAX_DENSITY_CELLS:
        raise Unprocessable.for_field(
            "zoom",
            ErrorCode.VALIDATION_FAILED,
            bilingual(
                "Perbesar peta: tampilan mencakup terlalu banyak sel.",
                "Zoom in: the view spans too many cells.",
            ),
        )
    response.headers["Cache-Control"] = "private, no-cache"
    return service.density(session, box=box, zoom=zoom, period=period, agency=agency)


def _export(
    request: Request,
    session: SessionDep,
    dataset: export.Dataset,
    period: Period,
    format: export.Format,
) -> Response:
    region = region_service.region_snapshot(session)
    since = local_day_start(period.start, region.time_zone)
    until = local_day_start(period.end + dt.timedelta(days=1), region.time_zone)
    now = utcnow()
    complaint_status = complaints_service.clock_for(session, now=now).status_column(now)
    etag = export.version(
        session, dataset, since=since, until=until, complaint_status=complaint_status
    )
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={EXPORT_MAX_AGE}"}
    if is_not_modified(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    session.close()  # the stream reads through a connection of its own
    filename = dataset.filename(period.start, period.end, format)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    chunks = export.export(
        request.app.state.engine,
        dataset,
        format=format,
        sql=Sql(request.app.state.engine.dialect.name, region.time_zone),
        since=since,
        until=until,
        today=to_local_date(now, region.time_zone),
        complaint_status=complaint_status,
    )
    return StreamingResponse(chunks, media_type=export.MEDIA_TYPES[format], headers=headers)


EXPORT_RESPONSES = {
    200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The rows"},
    **NOT_MODIFIED,
    **error_responses(404, 422),
}


@router.get(
    "/open-data/complaints.{format}",
    tags=["opendata"],
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_complaints(
    format: export.Format, request: Request, session: SessionDep, period: PeriodDep
) -> Response:
    """Complaints filed in the period, without personal data: no reporter and no free text,
    coordinates rounded to about 100 m, confidential complaints left out."""
    return _export(request, session, export.COMPLAINTS, period, format)


@router.get(
    "/open-data/permits.{format}",
    tags=["opendata"],
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_permits(
    format: export.Format, request: Request, session: SessionDep, period: PeriodDep
) -> Response:
    """Permits issued in the period, of the types in the public register; no applicant data.
    `blds_status` follows the BLDS open-data vocabulary."""
    return _export(request, session, export.PERMITS, period, format)

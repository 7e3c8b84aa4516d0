"""Public, cacheable reads of the region's catalogue; no login needed.

Only active entries are listed, and an unknown or deactivated code is a 404 problem.
"""

from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from backend.errors import error_responses
from backend.http_cache import NOT_MODIFIED, PUBLIC_MAX_AGE
from backend.microcache import MicroCachedRoute, cached_public_response
from backend.region import service
from backend.region.schemas import (
    AgencyList,
    AgencyPublic,
    ComplaintCategoryList,
    ComplaintCategoryPublic,
    PermitTypeList,
    PermitTypePublic,
    RegionPublic,
)
from backend.routing import PrefixRouter

router = PrefixRouter(prefix="/api/v1", tags=["region"], route_class=MicroCachedRoute)

# What the catalogue is read from: a write to any of these (e.g. a region pack load) drops the
# cached responses (see backend/microcache.py).
CATALOGUE_TABLES = frozenset(
    {"region", "agency", "complaint_category", "permit_type", "holiday_override", "info_page"}
)


async def _catalogue(request: Request, build: Callable[[Session], BaseModel]) -> Response:
    return await cached_public_response(
        request, build, tables=CATALOGUE_TABLES, max_age=PUBLIC_MAX_AGE
    )


@router.get(
    "/region", response_model=RegionPublic, responses={**NOT_MODIFIED, **error_responses(404)}
)
async def get_region(request: Request) -> Response:
    """The city: names, time zone, service area, complaint deadlines and reopen window."""
    return await _catalogue(
        request, lambda session: RegionPublic.from_snapshot(service.region_snapshot(session))
    )


@router.get("/agencies", response_model=AgencyList, responses=NOT_MODIFIED)
async def list_agencies(request: Request) -> Response:
    """The agency directory, in the order the region lists it."""

    def build(session: Session) -> AgencyList:
        agencies = service.list_agencies(session)
        return AgencyList(items=[AgencyPublic.from_row(agency) for agency in agencies])

    return await _catalogue(request, build)


@router.get(
    "/agencies/{code}",
    response_model=AgencyPublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
async def get_agency(code: str, request: Request) -> Response:
    """One agency: description, address, opening hours and contacts."""
    return await _catalogue(
        request,
        lambda session: AgencyPublic.from_row(service.get_agency_by_code(session, code=code)),
    )


@router.get(
    "/complaint-categories",
    response_model=ComplaintCategoryList,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
async def list_complaint_categories(request: Request) -> Response:
    """What residents can report, which agency handles it, its deadlines and extra questions.

    404 until a region pack is loaded, since the deadlines come from the region.
    """

    def build(session: Session) -> ComplaintCategoryList:
        region = service.region_snapshot(session)
        categories = [
            ComplaintCategoryPublic.from_row(
                category, deadlines=service.complaint_deadlines(region=region, category=category)
            )
            for category in service.list_categories(session)
        ]
        return ComplaintCategoryList(items=categories)

    return await _catalogue(request, build)


@router.get("/permit-types", response_model=PermitTypeList, responses=NOT_MODIFIED)
async def list_permit_types(request: Request) -> Response:
    """The permits the city issues, each with its full service standard and form."""

    def build(session: Session) -> PermitTypeList:
        permit_types = service.list_permit_types(session)
        return PermitTypeList(items=[PermitTypePublic.from_row(p) for p in permit_types])

    return await _catalogue(request, build)


@router.get(
    "/permit-types/{code}",
    response_model=PermitTypePublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
async def get_permit_type(code: str, request: Request) -> Response:
    """One permit type: requirements, form, documents, fee, review steps, time limit, validity."""
    return await _catalogue(
        request,
        lambda session: PermitTypePublic.from_row(
            service.get_permit_type_by_code(session, code=code)
        ),
    )

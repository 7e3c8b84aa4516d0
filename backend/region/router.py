"""Public, cacheable reads of the region's catalogue; no login needed.

Only active entries are listed, and an unknown or deactivated code is a 404 problem.
"""

from fastapi import APIRouter, Request, Response

from backend.dependencies import SessionDep
from backend.errors import error_responses
from backend.http_cache import NOT_MODIFIED, cached_response
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

router = APIRouter(prefix="/api/v1", tags=["region"])


@router.get(
    "/region", response_model=RegionPublic, responses={**NOT_MODIFIED, **error_responses(404)}
)
def get_region(request: Request, session: SessionDep) -> Response:
    """The city: names, time zone, service area, complaint deadlines and reopen window."""
    return cached_response(request, RegionPublic.from_row(service.get_region(session)))


@router.get("/agencies", response_model=AgencyList, responses=NOT_MODIFIED)
def list_agencies(request: Request, session: SessionDep) -> Response:
    """The agency directory, in the order the region lists it."""
    agencies = [AgencyPublic.from_row(agency) for agency in service.list_agencies(session)]
    return cached_response(request, AgencyList(items=agencies))


@router.get(
    "/agencies/{code}",
    response_model=AgencyPublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_agency(code: str, request: Request, session: SessionDep) -> Response:
    """One agency: description, address, opening hours and contacts."""
    agency = service.get_agency_by_code(session, code=code)
    return cached_response(request, AgencyPublic.from_row(agency))


@router.get(
    "/complaint-categories",
    response_model=ComplaintCategoryList,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def list_complaint_categories(request: Request, session: SessionDep) -> Response:
    """What residents can report, which agency handles it, its deadlines and extra questions.

    404 until a region pack is loaded, since the deadlines come from the region.
    """
    region = service.get_region(session)
    categories = [
        ComplaintCategoryPublic.from_row(
            category, deadlines=service.complaint_deadlines(region=region, category=category)
        )
        for category in service.list_categories(session)
    ]
    return cached_response(request, ComplaintCategoryList(items=categories))


@router.get("/permit-types", response_model=PermitTypeList, responses=NOT_MODIFIED)
def list_permit_types(request: Request, session: SessionDep) -> Response:
    """The permits the city issues, each with its full service standard and form."""
    permit_types = [PermitTypePublic.from_row(p) for p in service.list_permit_types(session)]
    return cached_response(request, PermitTypeList(items=permit_types))


@router.get(
    "/permit-types/{code}",
    response_model=PermitTypePublic,
    responses={**NOT_MODIFIED, **error_responses(404)},
)
def get_permit_type(code: str, request: Request, session: SessionDep) -> Response:
    """One permit type: requirements, form, documents, fee, review steps, time limit, validity."""
    permit_type = service.get_permit_type_by_code(session, code=code)
    return cached_response(request, PermitTypePublic.from_row(permit_type))

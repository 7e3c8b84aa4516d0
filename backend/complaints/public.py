"""The public side of complaints, no login needed: the feed, the map layer, likely duplicates.

Confidential complaints never appear here, and an anonymous reporter's name never does.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from backend.complaints import queries, service, views
from backend.complaints.dependencies import OptionalUser, PublicComplaintDep
from backend.complaints.queries import PublicFilters
from backend.complaints.schemas import (
    FeatureCollection,
    NearbyComplaint,
    NearbyList,
    PublicComplaint,
    PublicComplaintDetail,
)
from backend.db import CalendarDay, utcnow
from backend.dependencies import SessionDep
from backend.errors import Unprocessable, bilingual, error_responses
from backend.http_cache import NOT_MODIFIED
from backend.microcache import MicroCachedRoute, cached_public_response
from backend.pagination import Cursor, Limit, Page
from backend.region.service import region_snapshot
from backend.routing import PrefixRouter
from shared.complaints import ComplaintStatus
from shared.errors import ErrorCode
from shared.validators import BoundingBox, InvalidValue

router = PrefixRouter(
    prefix="/api/v1/public/complaints", tags=["public"], route_class=MicroCachedRoute
)

DEFAULT_RADIUS_M = 150
MAX_MAP_FEATURES = 1000

# The feed and the map come from the microcache (backend/microcache.py): a change this process
# commits to any of these tables shows at once, one made elsewhere within its TTL (2 s).
PUBLIC_TABLES = frozenset(
    {
        "complaint",
        "complaint_supporter",
        "complaint_photo",
        "complaint_event",
        "user_account",  # reporters' names
        "agency",
        "complaint_category",
        "region",
    }
)
PublicPage = Page[PublicComplaint]
# Clients may keep a copy but must revalidate it (a cheap 304) before showing it again.
PUBLIC_MAX_AGE = 0


def _bbox(text: str | None) -> BoundingBox | None:
    """`min_lon,min_lat,max_lon,max_lat`, the order of GeoJSON's bbox (RFC 7946)."""
    if text is None:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
        return BoundingBox(min_lat=min_lat, min_lon=min_lon, max_lat=max_lat, max_lon=max_lon)
    except (ValueError, InvalidValue):
        raise Unprocessable.for_field(
            "bbox",
            ErrorCode.INVALID_COORDINATES,
            bilingual(
                "bbox ditulis min_lon,min_lat,max_lon,max_lat dalam derajat.",
                "Write bbox as min_lon,min_lat,max_lon,max_lat in degrees.",
            ),
        ) from None


async def public_filters(
    bbox: Annotated[
        str | None,
        Query(max_length=100, description="`min_lon,min_lat,max_lon,max_lat` (GeoJSON order)."),
    ] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    status: ComplaintStatus | None = None,
    since: Annotated[
        CalendarDay | None, Query(description="Filed on or after (local date).")
    ] = None,
    until: Annotated[
        CalendarDay | None, Query(description="Filed on or before (local date).")
    ] = None,
) -> PublicFilters:
    return PublicFilters(
        bbox=_bbox(bbox), category=category, status=status, since=since, until=until
    )


PublicFiltersDep = Annotated[PublicFilters, Depends(public_filters)]


async def _public(request: Request, build: Callable[[Session], BaseModel]) -> Response:
    return await cached_public_response(
        request, build, tables=PUBLIC_TABLES, max_age=PUBLIC_MAX_AGE
    )


@router.get(
    "",
    response_model=PublicPage,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def list_public_complaints(
    request: Request,
    filters: PublicFiltersDep,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Public complaints, newest first (at most 2 s behind changes made elsewhere)."""

    def build(session: Session) -> PublicPage:
        time_zone = region_snapshot(session).time_zone
        complaints, next_cursor = queries.public_feed(
            session, filters=filters, time_zone=time_zone, cursor=cursor, limit=limit
        )
        return PublicPage(items=views.public_items(session, complaints), next_cursor=next_cursor)

    return await _public(request, build)


@router.get(
    "/map",
    response_model=FeatureCollection,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def map_public_complaints(
    request: Request,
    filters: PublicFiltersDep,
    limit: Annotated[int, Query(ge=1, le=MAX_MAP_FEATURES)] = 500,
) -> Response:
    """A GeoJSON FeatureCollection of the newest public complaints matching the filters (at most
    2 s behind changes made elsewhere)."""

    def build(session: Session) -> FeatureCollection:
        time_zone = region_snapshot(session).time_zone
        complaints = queries.public_map(session, filters=filters, time_zone=time_zone, limit=limit)
        return FeatureCollection(features=views.map_features(session, complaints))

    return await _public(request, build)


@router.get("/nearby", response_model=NearbyList, responses=error_responses(404, 422))
def list_nearby_complaints(
    session: SessionDep,
    user: OptionalUser,
    category: Annotated[str, Query(max_length=64)],
    latitude: Annotated[float, Query(ge=-90, le=90)],
    longitude: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, le=1000)] = DEFAULT_RADIUS_M,
) -> NearbyList:
    """Before filing: open complaints of the same category nearby, from the last 30 days.

    Nearest first; the app can offer "me too" on one of them instead of a new report. With a
    resident's token, each says whether it is theirs or they already support it.
    """
    found = queries.nearby_open(
        session,
        caller=user,
        category=category,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        now=utcnow(),
    )
    complaints = [complaint for complaint, _, _ in found]
    supported = service.supported_by(session, user=user, complaint_ids=[c.id for c in complaints])
    return NearbyList(
        items=[
            NearbyComplaint(
                **item.model_dump(),
                distance_m=round(distance, 1),
                yours=yours,
                supported=complaint.id in supported,
            )
            for item, (complaint, distance, yours) in zip(
                views.public_items(session, complaints), found, strict=True
            )
        ]
    )


@router.get("/{complaint_id}", response_model=PublicComplaintDetail, responses=error_responses(404))
def read_public_complaint(
    complaint: PublicComplaintDep, session: SessionDep
) -> PublicComplaintDetail:
    """One public complaint with its public timeline."""
    return views.public_detail(session, complaint)

"""The public register of issued permits, for permit types the region marks public.

Fields are named after the BLDS (Building & Land Development Specification) open-data
vocabulary so the city's data joins other permit datasets without a mapping table. Only what
the permit itself makes public is shown: no applicant, no identity or contact data.
"""

import datetime as dt

from sqlmodel import Session, col, select

from backend.db import utcnow
from backend.pagination import after_cursor, page_of
from backend.permits.certificates import verification_url
from backend.permits.models import PermitApplication
from backend.permits.queries import effective_status, local_today
from backend.permits.schemas import RegisterEntry
from backend.region.models import PermitType
from backend.region.pack import FieldType
from shared.permits import BLDS_STATUS
from shared.workdays import to_local_date


def register_page(
    session: Session,
    *,
    base_url: str,
    permit_type_code: str | None,
    cursor: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> tuple[list[RegisterEntry], str | None]:
    """Permits ever issued for public types (expired and revoked included), newest first."""
    region, today = local_today(session, now or utcnow())
    statement = (
        select(PermitApplication, PermitType)
        .join(PermitType, col(PermitType.id) == PermitApplication.permit_type_id)
        .where(col(PermitType.public_register), col(PermitApplication.permit_number).is_not(None))
    )
    if permit_type_code is not None:
        statement = statement.where(PermitType.code == permit_type_code)
    statement = after_cursor(statement, [col(PermitApplication.id)], cursor, descending=True)
    fetched = list(session.exec(statement.limit(limit + 1)).all())
    rows, next_cursor = page_of(fetched, limit=limit, key=lambda row: [row[0].id])
    entries = []
    for application, permit_type in rows:
        status = effective_status(application, today)
        location = first_coordinates(permit_type, application) or {}
        # Only issued permits are listed: each was submitted, issued and given its code.
        assert application.submitted_at and application.issued_at and application.verification_code
        entries.append(
            RegisterEntry(
                permit_num=application.permit_number,
                permit_type=permit_type.code,
                permit_type_desc=permit_type.name.id,
                description=permit_type.description.id,
                applied_date=to_local_date(application.submitted_at, region.time_zone),
                issued_date=to_local_date(application.issued_at, region.time_zone),
                expires_date=application.valid_until,
                status_current=status,
                status_current_mapped=BLDS_STATUS[status],
                original_city=region.name.id,
                latitude=location.get("latitude"),
                longitude=location.get("longitude"),
                link=verification_url(base_url, application.verification_code),
            )
        )
    return entries, next_cursor


def first_coordinates(
    permit_type: PermitType, application: PermitApplication
) -> dict[str, float] | None:
    """The answer to the form's first location field, if the form has one and it is answered."""
    for field in permit_type.form_fields():
        if field.type == FieldType.COORDINATES:
            return application.answers.get(field.code)
    return None

"""The numbers an application and a permit carry, from yearly series that never repeat.

A registration number (``IZN-2026-000123``) is given to every draft; a permit number
(``503/000045/DPMPTSP/2026``) to every issued permit.
"""

from sqlalchemy import update
from sqlmodel import Session, col

from backend.db import insert_on_conflict
from backend.permits.models import PermitCounter

REGISTRATION_SERIES = "IZN"
# 503 is the classification code for permits in Indonesian government correspondence.
PERMIT_SERIES = "503"


def _next_in_series(session: Session, *, series: str, year: int) -> int:
    """The next number of a yearly series, unique however many requests ask at once.

    The counter row is created if missing (a concurrent creator is ignored), then incremented
    with UPDATE ... RETURNING: PostgreSQL's row lock and SQLite's single writer make every
    caller wait for the previous one's transaction, so no number is handed out twice.
    """
    session.execute(
        insert_on_conflict(session.get_bind().dialect.name, PermitCounter)
        .values(series=series, year=year, value=0)
        .on_conflict_do_nothing()
    )
    return session.execute(
        update(PermitCounter)
        .where(col(PermitCounter.series) == series, col(PermitCounter.year) == year)
        .values(value=col(PermitCounter.value) + 1)
        .returning(col(PermitCounter.value))
    ).scalar_one()


def next_registration_number(session: Session, year: int) -> str:
    number = _next_in_series(session, series=REGISTRATION_SERIES, year=year)
    return f"{REGISTRATION_SERIES}-{year}-{number:06d}"


def next_permit_number(session: Session, *, year: int, agency_code: str) -> str:
    number = _next_in_series(session, series=PERMIT_SERIES, year=year)
    return f"{PERMIT_SERIES}/{number:06d}/{agency_code.upper()}/{year}"

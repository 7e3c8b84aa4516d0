"""The Life Room's tallies: complaint counts per local day, agency and category, kept on write.

A city's dashboard asks about every complaint of a period; reading a million rows for it takes
seconds. These tables hold the same numbers already summed per day (a few rows per agency,
category and day, whatever the number of complaints), so the dashboard sums hundreds or
thousands of rows instead. ``backend.stats.tallies`` adds to them in the same transaction as
the complaint itself, and can rebuild them from the complaint table.

The tallies are append-only records: a write adds a new *pending* row with its changes to the
counts, rather than updating the one row of its key, which every filing of the day, agency and
category would otherwise wait to lock in turn. The dashboard sums rows anyway, so it reads the
pending rows with the rest; ``tallies.fold`` sums each key's rows back into one, in the
background. A row whose counts all went back to zero is left out when its key is folded.
"""

import datetime as dt
from typing import ClassVar

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from backend.complaints.models import Complaint
from backend.db import table_of


def _indexes(table: str, key: tuple[str, ...]) -> tuple[Index, Index]:
    """The index of a tally's key, and the small one of its pending rows that the fold reads."""
    pending = text("pending")
    return (
        Index(f"ix_{table}_key", *key),
        Index(f"ix_{table}_pending", "id", postgresql_where=pending, sqlite_where=pending),
    )


class TallyRows(SQLModel):
    """What every tally row has besides its key and counts."""

    KEY: ClassVar[tuple[str, ...]]  # the columns a row's counts are summed over

    id: int | None = Field(default=None, primary_key=True)
    pending: bool  # added by a write and not folded yet


class FiledTally(TallyRows, table=True):
    """Complaints filed on a local day, by where they stand now."""

    __tablename__ = "complaint_tally_filed"
    KEY = ("filed_on", "agency_id", "category_id", "status")
    __table_args__ = (
        *_indexes(__tablename__, KEY),
        Index("ix_complaint_tally_filed_agency", "agency_id", "filed_on"),
    )

    filed_on: dt.date
    agency_id: int
    category_id: int
    status: str = Field(max_length=20)
    complaints: int = 0
    resolved: int = 0  # of them, with a resolution (resolved now, or resolved then closed)
    resolved_on_time: int = 0  # resolved by their deadline's local date
    rating_sum: int = 0
    ratings: int = 0


class ResolutionTally(TallyRows, table=True):
    """Resolved complaints filed on a local day, by the working days it took to resolve them:
    a histogram, from which medians and percentiles come out exactly."""

    __tablename__ = "complaint_tally_resolution"
    KEY = ("filed_on", "agency_id", "category_id", "working_days")
    __table_args__ = (
        *_indexes(__tablename__, KEY),
        Index("ix_complaint_tally_resolution_agency", "agency_id", "filed_on"),
    )

    filed_on: dt.date
    agency_id: int
    category_id: int
    working_days: int
    complaints: int = 0


class ResolvedTally(TallyRows, table=True):
    """Complaints resolved on a local day (whenever they were filed)."""

    __tablename__ = "complaint_tally_resolved"
    KEY = ("resolved_on", "agency_id", "category_id")
    __table_args__ = (
        *_indexes(__tablename__, KEY),
        Index("ix_complaint_tally_resolved_agency", "agency_id", "resolved_on"),
    )

    resolved_on: dt.date
    agency_id: int
    category_id: int
    complaints: int = 0


class RunningTally(TallyRows, table=True):
    """Open complaints whose clock runs (not waiting on the reporter), by their deadline."""

    __tablename__ = "complaint_tally_running"
    KEY = ("due_date", "agency_id", "category_id")
    __table_args__ = (
        *_indexes(__tablename__, KEY),
        Index("ix_complaint_tally_running_agency", "agency_id", "due_date"),
    )

    due_date: dt.date
    agency_id: int
    category_id: int
    complaints: int = 0


# Map zoom of the density tally's cells (about 600 m): coarser zooms add its cells up, since
# every grid is anchored at the same corner and halves its cells with each zoom level.
DENSITY_ZOOM = 14


class DensityTally(TallyRows, table=True):
    """Complaints filed on a local day, per cell of the map grid at ``DENSITY_ZOOM``."""

    __tablename__ = "complaint_tally_density"
    KEY = ("filed_on", "cell_row", "cell_column", "agency_id")
    __table_args__ = (*_indexes(__tablename__, KEY),)

    filed_on: dt.date
    cell_row: int  # cells from the south pole
    cell_column: int  # cells from the antimeridian
    agency_id: int
    complaints: int = 0


TALLIES = (FiledTally, ResolutionTally, ResolvedTally, RunningTally, DensityTally)

# Zooms finer than DENSITY_ZOOM read complaints themselves: a small box, filed in a period,
# read from the index alone.
complaint = table_of(Complaint)
MAP_INDEX = Index(
    "ix_complaint_stats_map",
    complaint.c.latitude,
    complaint.c.longitude,
    complaint.c.created_at,
    complaint.c.agency_id,
)

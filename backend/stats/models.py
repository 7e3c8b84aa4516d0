"""The Life Room's tallies: complaint counts per local day, agency and category, kept on write.

A city's dashboard asks about every complaint of a period; reading a million rows for it takes
seconds. These tables hold the same numbers already summed per day (a few rows per agency,
category and day, whatever the number of complaints), so the dashboard sums hundreds or
thousands of rows instead. ``backend.stats.tallies`` changes them in the same transaction as
the complaint itself, and can rebuild them from the complaint table.

Each row is a sum over the complaints its key describes; a row whose counts all went back to
zero is left in place (it adds nothing).
"""

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from backend.complaints.models import Complaint
from backend.db import table_of


class FiledTally(SQLModel, table=True):
    """Complaints filed on a local day, by where they stand now."""

    __tablename__ = "complaint_tally_filed"
    __table_args__ = (Index("ix_complaint_tally_filed_agency", "agency_id", "filed_on"),)

    filed_on: dt.date = Field(primary_key=True)
    agency_id: int = Field(primary_key=True)
    category_id: int = Field(primary_key=True)
    status: str = Field(primary_key=True, max_length=20)
    complaints: int = 0
    resolved: int = 0  # of them, with a resolution (resolved now, or resolved then closed)
    resolved_on_time: int = 0  # resolved by their deadline's local date
    rating_sum: int = 0
    ratings: int = 0


class ResolutionTally(SQLModel, table=True):
    """Resolved complaints filed on a local day, by the working days it took to resolve them:
    a histogram, from which medians and percentiles come out exactly."""

    __tablename__ = "complaint_tally_resolution"
    __table_args__ = (Index("ix_complaint_tally_resolution_agency", "agency_id", "filed_on"),)

    filed_on: dt.date = Field(primary_key=True)
    agency_id: int = Field(primary_key=True)
    category_id: int = Field(primary_key=True)
    working_days: int = Field(primary_key=True)
    complaints: int = 0


class ResolvedTally(SQLModel, table=True):
    """Complaints resolved on a local day (whenever they were filed)."""

    __tablename__ = "complaint_tally_resolved"
    __table_args__ = (Index("ix_complaint_tally_resolved_agency", "agency_id", "resolved_on"),)

    resolved_on: dt.date = Field(primary_key=True)
    agency_id: int = Field(primary_key=True)
    category_id: int = Field(primary_key=True)
    complaints: int = 0


class RunningTally(SQLModel, table=True):
    """Open complaints whose clock runs (not waiting on the reporter), by their deadline."""

    __tablename__ = "complaint_tally_running"
    __table_args__ = (Index("ix_complaint_tally_running_agency", "agency_id", "due_date"),)

    due_date: dt.date = Field(primary_key=True)
    agency_id: int = Field(primary_key=True)
    category_id: int = Field(primary_key=True)
    complaints: int = 0


# Map zoom of the density tally's cells (about 600 m): coarser zooms add its cells up, since
# every grid is anchored at the same corner and halves its cells with each zoom level.
DENSITY_ZOOM = 14


class DensityTally(SQLModel, table=True):
    """Complaints filed on a local day, per cell of the map grid at ``DENSITY_ZOOM``."""

    __tablename__ = "complaint_tally_density"

    filed_on: dt.date = Field(primary_key=True)
    cell_row: int = Field(primary_key=True)  # cells from the south pole
    cell_column: int = Field(primary_key=True)  # cells from the antimeridian
    agency_id: int = Field(primary_key=True)
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

"""The Life Room dashboard and the complaint density grid, as the API returns them."""

import datetime as dt

from pydantic import BaseModel, Field


class Period(BaseModel):
    start: dt.date = Field(description="First day (local), included")
    end: dt.date = Field(description="Last day (local), included")


class ComplaintFigures(BaseModel):
    """Complaints filed in the period (by their current status), and how they were handled."""

    code: str | None = Field(description="Agency or category code; null for the total")
    name: str | None
    received: int
    by_status: dict[str, int]
    resolved: int
    resolved_on_time: int
    on_time_share: float | None = Field(description="resolved_on_time / resolved (0–1)")
    median_working_days: float | None = Field(description="Filing to resolution, clock pauses out")
    p90_working_days: float | None
    overdue_now: int = Field(description="Open now (of any period) and past their deadline")
    rating_average: float | None
    ratings: int


class Week(BaseModel):
    week_start: dt.date = Field(description="Monday (local)")
    received: int
    resolved: int


class PermitsIssued(BaseModel):
    permit_type_code: str
    name: str
    issued: int


class Dashboard(BaseModel):
    period: Period
    agency_code: str | None = Field(description="The agency shown; null: the whole city")
    agency_name: str | None = Field(description="Its name, in the response's language")
    total: ComplaintFigures
    by_agency: list[ComplaintFigures]
    by_category: list[ComplaintFigures]
    weeks: list[Week]
    permits_issued: list[PermitsIssued] = Field(description="Issued in the period, per type")


class DensityCell(BaseModel):
    south: float
    west: float
    count: int


class DensityGrid(BaseModel):
    cell_degrees: float = Field(description="Side of a cell in degrees of latitude and longitude")
    cells: list[DensityCell] = Field(description="Cells with at least one complaint")

"""The map grid of the density view: square cells of latitude and longitude fixed to the globe.

Cells are a quarter of a 256-pixel web-map tile wide at a zoom level, counted from the south
pole and the antimeridian (so never negative). Each zoom level halves them, so a cell at zoom z
is exactly 2 x 2 cells at zoom z + 1, and panning the map keeps cells in place.
"""

import math

from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from backend.complaints.models import Complaint
from backend.stats.sql import Sql


def cell_degrees(zoom: int) -> float:
    return 360 / 2**zoom / 4


def grid_cell(latitude: float, longitude: float, zoom: int) -> tuple[int, int]:
    """(row, column) of the cell holding a point."""
    size = cell_degrees(zoom)
    return math.floor((latitude + 90) / size), math.floor((longitude + 180) / size)


def sql_grid_cell(sql: Sql, zoom: int) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """`grid_cell` of each complaint's location, in SQL (the same floating-point division)."""
    size = cell_degrees(zoom)
    return (
        sql.floor((col(Complaint.latitude) + 90) / size),
        sql.floor((col(Complaint.longitude) + 180) / size),
    )


def cell_range(low: float, high: float, zoom: int, *, origin: float) -> tuple[int, int]:
    """First and last cell (rows: `origin` 90; columns: 180) a span of degrees touches."""
    size = cell_degrees(zoom)
    return math.floor((low + origin) / size), math.floor((high + origin) / size)

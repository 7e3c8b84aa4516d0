"""The few SQL expressions the Life Room needs that PostgreSQL and SQLite spell differently."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, SQLColumnExpression, cast, func
from sqlalchemy.sql import ColumnElement


@dataclass(frozen=True)
class Sql:
    """Local calendar dates of UTC timestamps in the region's time zone, and whole numbers.

    Indonesia's zones (WIB, WITA, WIT) have no daylight saving, which lets SQLite, without
    time-zone data, use a fixed offset.
    """

    dialect: str
    time_zone: str

    @property
    def _postgres(self) -> bool:
        return self.dialect == "postgresql"

    def date(self, timestamp: SQLColumnExpression[Any]) -> ColumnElement[dt.date]:
        if self._postgres:
            return cast(func.timezone(self.time_zone, timestamp), Date)
        offset = ZoneInfo(self.time_zone).utcoffset(dt.datetime(2000, 1, 1))
        assert offset is not None  # a ZoneInfo always knows its offset
        return func.date(timestamp, f"{int(offset.total_seconds()):+d} seconds", type_=Date)

    def floor(self, value: SQLColumnExpression[Any]) -> ColumnElement[int]:
        """The integer at or below a non-negative `value` (PostgreSQL's cast would round)."""
        return cast(func.floor(value) if self._postgres else value, Integer)

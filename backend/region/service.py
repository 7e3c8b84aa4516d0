"""Loading a region pack into the database, and reading the catalogue back.

Functions flush but never commit: the caller (a request, the CLI) owns the transaction.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import holidays
from holidays.constants import GOVERNMENT, PUBLIC
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload
from sqlmodel import Session, SQLModel, col, select

from backend.db import utcnow
from backend.errors import NotFound
from backend.microcache import remember
from backend.region.models import (
    Agency,
    ComplaintCategory,
    HolidayOverride,
    InfoPage,
    PermitType,
    Region,
)
from backend.region.pack import (
    LocalizedText,
    PackProblem,
    RegionPack,
    RegionPackError,
)
from shared.workdays import WorkingCalendar

# --- Loading a pack ---


@dataclass
class Changes:
    """What a load did to the rows of one kind."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0  # gone from the pack, kept for what refers to it
    deleted: int = 0  # gone from the pack, and nothing refers to it

    def __str__(self) -> str:
        done = [f"{getattr(self, f.name)} {f.name}" for f in fields(self) if getattr(self, f.name)]
        return ", ".join(done) or "none"


@dataclass
class LoadReport:
    region: Changes = field(default_factory=Changes)
    agencies: Changes = field(default_factory=Changes)
    complaint_categories: Changes = field(default_factory=Changes)
    permit_types: Changes = field(default_factory=Changes)
    holiday_overrides: Changes = field(default_factory=Changes)
    information_pages: Changes = field(default_factory=Changes)

    def __str__(self) -> str:
        kinds = [f.name for f in fields(self)]
        return "; ".join(f"{kind.replace('_', ' ')}: {getattr(self, kind)}" for kind in kinds)


def _texts(name: str, text: LocalizedText | None) -> dict[str, str | None]:
    """The ``<name>_id`` / ``<name>_en`` column values of a bilingual text."""
    return {f"{name}_id": text.id if text else None, f"{name}_en": text.en if text else None}


def _changed(row: SQLModel, values: dict[str, Any]) -> bool:
    """Set the values that differ on `row`; tell whether there were any."""
    differing = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in differing.items():
        setattr(row, name, value)
    return bool(differing)


def _sync(
    session: Session,
    model: type[SQLModel],
    key: str,
    wanted: dict[Any, dict[str, Any]],
    *,
    retire: Literal["deactivate", "delete"],
) -> Changes:
    """Make the rows of `model` match `wanted` (key value -> column values), in place.

    Rows missing from `wanted` are retired: ``"deactivate"`` sets ``active = False`` (rows that
    requests refer to), ``"delete"`` removes them.
    """
    changes = Changes()
    existing = {getattr(row, key): row for row in session.exec(select(model))}
    now = utcnow()
    for key_value, values in wanted.items():
        row = existing.pop(key_value, None)
        if row is None:
            session.add(model(**{key: key_value}, **values))
            changes.created += 1
        elif _changed(row, values):
            row.updated_at = now
            changes.updated += 1
        else:
            changes.unchanged += 1
    for row in existing.values():
        if retire == "delete":
            session.delete(row)
            changes.deleted += 1
        elif row.active:  # type: ignore[attr-defined]  # the models retired this way have it
            row.active = False
            row.updated_at = now
            changes.deactivated += 1
    session.flush()
    return changes


def _load_region(session: Session, pack: RegionPack) -> Changes:
    spec = pack.region
    values: dict[str, Any] = {
        **_texts("name", spec.name),
        "time_zone": spec.time_zone,
        "languages": list(spec.languages),
        "min_lat": spec.bounding_box.min_lat,
        "min_lon": spec.bounding_box.min_lon,
        "max_lat": spec.bounding_box.max_lat,
        "max_lon": spec.bounding_box.max_lon,
        "reopen_window_days": spec.reopen_window_days,
        "verify_working_days": spec.verify_working_days,
        "follow_up_working_days": spec.follow_up_working_days,
        "map_tiles": spec.map_tiles.model_dump() if spec.map_tiles else None,
        "places": [place.model_dump() for place in spec.places],
        "pack_version": pack.pack_version,
        "format_version": pack.format_version,
    }
    region = session.exec(select(Region)).first()
    if region is None:
        session.add(Region(code=spec.code, **values))
        return Changes(created=1)
    if region.code != spec.code:
        # Loading another city's pack would deactivate this city's whole catalogue.
        raise RegionPackError(
            f"pack for {spec.code}",
            [
                PackProblem(
                    "region.code",
                    f"this database serves region {region.code!r}, not {spec.code!r}",
                )
            ],
        )
    changed = _changed(region, values)
    region.loaded_at = utcnow()
    return Changes(updated=1) if changed else Changes(unchanged=1)


def load_pack(session: Session, *, pack: RegionPack) -> LoadReport:
    """Create or update everything the pack describes; running it twice changes nothing.

    Rows are matched by code (slug, date), so a reload updates them in place. Agencies,
    complaint categories, permit types and information pages missing from the pack are
    deactivated, never deleted; holiday overrides missing from it are deleted, since a stale
    one would silently shift deadlines.
    """
    report = LoadReport(region=_load_region(session, pack))
    report.agencies = _sync(
        session,
        Agency,
        "code",
        {
            agency.code: {
                **_texts("name", agency.name),
                **_texts("description", agency.description),
                "address": agency.address,
                **agency.model_dump(mode="json", include={"opening_hours", "contacts"}),
                "position": position,
                "active": True,
            }
            for position, agency in enumerate(pack.agencies)
        },
        retire="deactivate",
    )
    agency_ids = {agency.code: agency.id for agency in session.exec(select(Agency))}
    report.complaint_categories = _sync(
        session,
        ComplaintCategory,
        "code",
        {
            category.code: {
                **_texts("name", category.name),
                **_texts("description", category.description),
                "agency_id": agency_ids[category.agency],
                "verify_working_days": category.verify_working_days,
                "follow_up_working_days": category.follow_up_working_days,
                **category.model_dump(mode="json", include={"questions"}),
                "position": position,
                "active": True,
            }
            for position, category in enumerate(pack.complaint_categories)
        },
        retire="deactivate",
    )
    report.permit_types = _sync(
        session,
        PermitType,
        "code",
        {
            permit.code: {
                **_texts("name", permit.name),
                **_texts("description", permit.description),
                "agency_id": agency_ids[permit.agency],
                **permit.model_dump(
                    mode="json",
                    include={
                        "requirements",
                        "form",
                        "documents",
                        "fee",
                        "steps",
                        "deadline_working_days",
                        "validity_days",
                        "renewable",
                        "public_register",
                    },
                ),
                **_texts("fee_basis", permit.fee_basis),
                **_texts("output", permit.output),
                "position": position,
                "active": True,
            }
            for position, permit in enumerate(pack.permit_types)
        },
        retire="deactivate",
    )
    report.holiday_overrides = _sync(
        session,
        HolidayOverride,
        "date",
        {
            holiday.date: {**_texts("name", holiday.name), "is_holiday": holiday.is_holiday}
            for holiday in pack.holiday_overrides
        },
        retire="delete",
    )
    report.information_pages = _sync(
        session,
        InfoPage,
        "slug",
        {
            page.slug: {
                **_texts("title", page.title),
                **_texts("body", page.body),
                "position": position,
                "active": True,
            }
            for position, page in enumerate(pack.information_pages)
        },
        retire="deactivate",
    )
    return report


# --- Reading the catalogue ---


def get_region(session: OrmSession) -> Region:
    region = session.scalars(select(Region)).first()
    if region is None:
        raise NotFound("No region pack has been loaded yet.")
    return region


def current_region(session: OrmSession) -> Region:
    """The region row, shared read-only between requests (detached from any session).

    Every request reads it and only a region pack load changes it: kept in the microcache,
    dropped at once when this process writes the table, else after its TTL.
    """

    def load() -> Region:
        region = get_region(session)
        session.expunge(region)
        return region

    return remember(session, "region.current", load, tables={"region"})


def list_agencies(session: Session) -> list[Agency]:
    statement = (
        select(Agency).where(col(Agency.active)).order_by(col(Agency.position), col(Agency.id))
    )
    return list(session.exec(statement))


def get_agency_by_code(session: Session, *, code: str) -> Agency:
    agency = session.exec(select(Agency).where(Agency.code == code, col(Agency.active))).first()
    if agency is None:
        raise NotFound(f"There is no agency {code!r}.")
    return agency


def list_categories(session: Session) -> list[ComplaintCategory]:
    statement = (
        select(ComplaintCategory)
        .where(col(ComplaintCategory.active))
        # SQLModel types a relationship as its target; on the class it is the ORM attribute.
        .options(selectinload(ComplaintCategory.agency))  # type: ignore[arg-type]
        .order_by(col(ComplaintCategory.position), col(ComplaintCategory.id))
    )
    return list(session.exec(statement))


def get_category_by_code(session: Session, *, code: str) -> ComplaintCategory:
    statement = select(ComplaintCategory).where(
        ComplaintCategory.code == code, col(ComplaintCategory.active)
    )
    category = session.exec(statement).first()
    if category is None:
        raise NotFound(f"There is no complaint category {code!r}.")
    return category


def list_permit_types(session: Session) -> list[PermitType]:
    statement = (
        select(PermitType)
        .where(col(PermitType.active))
        .options(selectinload(PermitType.agency))  # type: ignore[arg-type]  # as for categories
        .order_by(col(PermitType.position), col(PermitType.id))
    )
    return list(session.exec(statement))


def get_permit_type_by_code(session: Session, *, code: str) -> PermitType:
    statement = select(PermitType).where(PermitType.code == code, col(PermitType.active))
    permit_type = session.exec(statement).first()
    if permit_type is None:
        raise NotFound(f"There is no permit type {code!r}.")
    return permit_type


class ComplaintDeadlines(NamedTuple):
    verify_working_days: int
    follow_up_working_days: int


def complaint_deadlines(*, region: Region, category: ComplaintCategory) -> ComplaintDeadlines:
    """The category's own deadlines where it sets them, the region's otherwise."""
    return ComplaintDeadlines(
        verify_working_days=category.verify_working_days or region.verify_working_days,
        follow_up_working_days=category.follow_up_working_days or region.follow_up_working_days,
    )


# --- Working days ---


@lru_cache(maxsize=16)
def _national_holidays(years: tuple[int, ...]) -> frozenset[dt.date]:
    # PUBLIC holds the national holidays, GOVERNMENT the collective leave (cuti bersama) days
    # that government offices also close on; the package's default is PUBLIC only.
    calendar = holidays.country_holidays("ID", years=years, categories=(PUBLIC, GOVERNMENT))
    return frozenset(calendar)


# What a working calendar is built from: a cached one is dropped when either is written.
CALENDAR_TABLES = frozenset({"region", "holiday_override"})


def working_calendar(session: Session, *, years: Iterable[int]) -> WorkingCalendar:
    """Indonesia's holidays and collective leave for `years`, adjusted by the region's overrides.

    Give every year a deadline may reach (e.g. this year and next): dates outside `years` are
    treated as ordinary days.
    """
    years = tuple(sorted(set(years)))
    if not years:
        raise ValueError("working_calendar needs at least one year")
    days = set(_national_holidays(years))
    statement = select(HolidayOverride).where(
        col(HolidayOverride.date) >= dt.date(years[0], 1, 1),
        col(HolidayOverride.date) <= dt.date(years[-1], 12, 31),
    )
    for override in session.exec(statement):
        if override.date.year not in years:
            continue
        if override.is_holiday:
            days.add(override.date)
        else:
            days.discard(override.date)
    return WorkingCalendar(holidays=frozenset(days))

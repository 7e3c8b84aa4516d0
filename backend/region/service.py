"""Loading a region pack into the database, and reading the catalogue back.

Functions flush but never commit: the caller (a request, the CLI) owns the transaction.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import holidays
from holidays.constants import GOVERNMENT, PUBLIC
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload
from sqlmodel import Session, SQLModel, col, select

from backend.db import table_of, utcnow
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
    FormField,
    LocalizedText,
    PackProblem,
    RegionPack,
    RegionPackError,
)
from shared.validators import BoundingBox
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


@dataclass(frozen=True)
class RegionSnapshot:
    """The region as its pack was last loaded, holiday overrides included.

    Every request reads it and only a pack load changes it, so `region_snapshot` keeps one per
    database engine and shares it between requests and threads: nothing in it can be changed
    (texts are built afresh on each read; tile settings and places are read-only mappings).
    """

    code: str
    name_id: str
    name_en: str
    time_zone: str
    languages: tuple[str, ...]
    bounding_box: BoundingBox
    reopen_window_days: int
    verify_working_days: int
    follow_up_working_days: int
    map_tiles: Mapping[str, Any] | None
    places: tuple[Mapping[str, Any], ...]
    pack_version: str
    loaded_at: dt.datetime
    # The pack's holiday overrides: extra days off, and national holidays worked after all.
    extra_holidays: frozenset[dt.date]
    working_holidays: frozenset[dt.date]

    @property
    def name(self) -> LocalizedText:
        return LocalizedText(id=self.name_id, en=self.name_en)


def _read_only(value: Any) -> Any:
    """JSON from a column, with every object a read-only mapping and every array a tuple."""
    if isinstance(value, dict):
        return MappingProxyType({key: _read_only(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_read_only(item) for item in value)
    return value


# A pack load writes these; the snapshot (and what is built from it, such as working calendars)
# is dropped at its commit, here and on other hosts.
SNAPSHOT_TABLES = frozenset({"region", "holiday_override"})


def region_snapshot(session: OrmSession) -> RegionSnapshot:
    """The region, read once and kept until a pack load changes it (see `backend.microcache`:
    dropped at the commit in this process, through the change channel in the others, and read
    afresh by a transaction that is itself loading a pack). 404 before any pack is loaded."""
    return remember(
        session, "region.snapshot", lambda: _read_snapshot(session), tables=SNAPSHOT_TABLES
    )


def _read_snapshot(session: OrmSession) -> RegionSnapshot:
    region = session.scalars(select(Region)).first()
    if region is None:
        raise NotFound("No region pack has been loaded yet.")
    overrides = session.execute(
        select(col(HolidayOverride.date), col(HolidayOverride.is_holiday))
    ).all()
    return RegionSnapshot(
        code=region.code,
        name_id=region.name_id,
        name_en=region.name_en,
        time_zone=region.time_zone,
        languages=tuple(region.languages),
        bounding_box=region.bounding_box,
        reopen_window_days=region.reopen_window_days,
        verify_working_days=region.verify_working_days,
        follow_up_working_days=region.follow_up_working_days,
        map_tiles=_read_only(region.map_tiles) if region.map_tiles else None,
        places=tuple(_read_only(place) for place in region.places or ()),
        pack_version=region.pack_version,
        loaded_at=region.loaded_at,
        extra_holidays=frozenset(day for day, off in overrides if off),
        working_holidays=frozenset(day for day, off in overrides if not off),
    )


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


@dataclass(frozen=True)
class CategorySnapshot:
    """What filing a complaint needs of an active category: kept like the region snapshot, so a
    filing reads no category row."""

    id: int
    code: str
    agency_id: int
    verify_working_days: int | None
    follow_up_working_days: int | None
    questions: tuple[FormField, ...]


def category_snapshot(session: OrmSession, *, code: str) -> CategorySnapshot:
    """The active category with this code (404 if there is none), from the snapshot of all of
    them, read once and kept until the category table is written."""
    categories = remember(
        session,
        "region.categories",
        lambda: _read_categories(session),
        tables={table_of(ComplaintCategory).name},
    )
    category = categories.get(code)
    if category is None:
        raise NotFound(f"There is no complaint category {code!r}.")
    return category


def _read_categories(session: OrmSession) -> Mapping[str, CategorySnapshot]:
    statement = select(ComplaintCategory).where(col(ComplaintCategory.active))
    return MappingProxyType(
        {
            category.code: CategorySnapshot(
                id=category.id,
                code=category.code,
                agency_id=category.agency_id,
                verify_working_days=category.verify_working_days,
                follow_up_working_days=category.follow_up_working_days,
                questions=tuple(category.question_fields()),
            )
            for category in session.scalars(statement)
        }
    )


def codes(
    session: OrmSession, model: type[Agency] | type[ComplaintCategory] | type[PermitType]
) -> Mapping[int, str]:
    """Every row's code by id, retired rows included (what webhook payloads name things by),
    kept until the table is written."""
    table = table_of(model).name

    def read() -> Mapping[int, str]:
        rows = session.execute(select(col(model.id), col(model.code)))
        return MappingProxyType({row_id: code for row_id, code in rows})

    return remember(session, ("region.codes", table), read, tables={table})


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


def complaint_deadlines(
    *, region: RegionSnapshot, category: ComplaintCategory | CategorySnapshot
) -> ComplaintDeadlines:
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


def working_calendar(session: Session, *, years: Iterable[int]) -> WorkingCalendar:
    """Indonesia's holidays and collective leave for `years`, adjusted by the region's overrides.

    Give every year a deadline may reach (e.g. this year and next): dates outside `years` are
    treated as ordinary days.
    """
    years = frozenset(years)
    if not years:
        raise ValueError("working_calendar needs at least one year")
    region = region_snapshot(session)
    days = _national_holidays(tuple(sorted(years))) | region.extra_holidays
    return WorkingCalendar(
        holidays=frozenset(
            day for day in days if day.year in years and day not in region.working_holidays
        )
    )

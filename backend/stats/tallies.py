"""Keeps the Life Room's tallies (``backend.stats.models``) in step with the complaint table.

Every flush that inserts or changes a complaint notes the complaint's share of each tally as it
was and as it is now; just before the transaction commits, the differences are appended as
pending rows, in the same transaction (one statement per tally). So the dashboard never
disagrees with the complaints, whichever service function changed them, and a change that fails
(a 409 on the row version, a rollback) leaves the tallies as they were. Appending locks no row
that another filing needs; `fold`, which every server process runs in the background, sums each
key's rows back into one so that the tables stay as small as a day's keys.

Rows written around the ORM (bulk imports, the benchmark generator) are not seen here: `rebuild`
recomputes every tally from the complaint table in SQL, for those and to repair.
"""

import asyncio
import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    case,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql.dml import Insert
from sqlmodel import col

from backend.complaints.models import Complaint
from backend.db import listen_once, table_of
from backend.microcache import note_written
from backend.region.service import region_snapshot
from backend.stats.grid import grid_cell, sql_grid_cell
from backend.stats.models import (
    DENSITY_ZOOM,
    TALLIES,
    DensityTally,
    FiledTally,
    ResolutionTally,
    ResolvedTally,
    RunningTally,
    TallyRows,
)
from backend.stats.sql import Sql
from shared.complaints import CLOCK_PAUSED_STATUSES, OPEN_STATUSES, ComplaintStatus
from shared.workdays import to_local_date

# Counted against their deadline: open, and not waiting on the reporter.
RUNNING_STATUSES = frozenset(OPEN_STATUSES - CLOCK_PAUSED_STATUSES)

logger = logging.getLogger("warga.stats")

# How often each server process folds the pending tally rows: a busy city's minute adds a few
# hundred rows, which the dashboard sums as easily as the settled ones.
FOLD_SECONDS = 60.0


@dataclass(frozen=True)
class Facts:
    """The columns of one complaint that the tallies read, at one moment."""

    created_at: dt.datetime
    agency_id: int
    category_id: int
    status: str
    due_date: dt.date
    resolved_at: dt.datetime | None
    resolution_working_days: int | None
    rating: int | None
    latitude: float
    longitude: float


TRACKED = tuple(Facts.__dataclass_fields__)

Share = tuple[type[TallyRows], dict[str, Any], dict[str, int]]  # tally, its row's key, what to add


def shares(facts: Facts, time_zone: str) -> Iterator[Share]:
    """What one complaint adds to each tally."""
    filed_on = to_local_date(facts.created_at, time_zone)
    place = {"agency_id": facts.agency_id, "category_id": facts.category_id}
    resolved_on = to_local_date(facts.resolved_at, time_zone) if facts.resolved_at else None
    yield (
        FiledTally,
        {"filed_on": filed_on, **place, "status": ComplaintStatus(facts.status).value},
        {
            "complaints": 1,
            "resolved": int(resolved_on is not None),
            "resolved_on_time": int(resolved_on is not None and resolved_on <= facts.due_date),
            "rating_sum": facts.rating or 0,
            "ratings": int(facts.rating is not None),
        },
    )
    if resolved_on is not None:
        yield ResolvedTally, {"resolved_on": resolved_on, **place}, {"complaints": 1}
        if facts.resolution_working_days is not None:
            days = {"working_days": facts.resolution_working_days}
            yield ResolutionTally, {"filed_on": filed_on, **place, **days}, {"complaints": 1}
    if facts.status in RUNNING_STATUSES:
        yield RunningTally, {"due_date": facts.due_date, **place}, {"complaints": 1}
    row, column = grid_cell(facts.latitude, facts.longitude, DENSITY_ZOOM)
    yield (
        DensityTally,
        {
            "filed_on": filed_on,
            "cell_row": row,
            "cell_column": column,
            "agency_id": facts.agency_id,
        },
        {"complaints": 1},
    )


def _facts_now(complaint: Complaint) -> Facts:
    return Facts(**{name: getattr(complaint, name) for name in TRACKED})


def _facts_before_flush(complaint: Complaint) -> Facts:
    """The values the database holds, i.e. before this flush's changes."""
    attributes = inspect(complaint).attrs
    values = {}
    for name in TRACKED:
        history = attributes[name].history
        values[name] = history.deleted[0] if history.deleted else getattr(complaint, name)
    return Facts(**values)


def _keep_replaced_value(
    target: object, value: object, oldvalue: object, initiator: object
) -> None:
    """Does nothing; registered with ``active_history`` so that setting a tracked attribute
    that was not loaded (e.g. expired by a commit) loads the value it replaces first, which
    ``_facts_before_flush`` needs."""


# Noted after each flush (the session still lists the flush's objects and their attribute
# histories then), written just before the commit: a transaction's changes to one key become one
# row however many flushes it made, and an action that loses a race (409 on the row version)
# gives up before it writes any.
_NOTED = "tallies_noted"


def _note_complaint_changes(session: Session, _flush_context: UOWTransaction) -> None:
    changes: list[tuple[Facts | None, Facts | None]] = []
    changes += [(None, _facts_now(c)) for c in session.new if isinstance(c, Complaint)]
    changes += [
        (_facts_before_flush(c), _facts_now(c))
        for c in session.dirty
        if isinstance(c, Complaint) and session.is_modified(c)
    ]
    changes += [(_facts_before_flush(c), None) for c in session.deleted if isinstance(c, Complaint)]
    changes = [(before, after) for before, after in changes if before != after]
    if changes:
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_NOTED, []).append((transaction, changes))


def _write_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # the last changes are noted too
    noted = session.info.pop(_NOTED, None)
    if noted:
        changes = [change for _, changed in noted for change in changed]
        apply_changes(session, changes, time_zone=region_snapshot(session).time_zone)


def _forget_rolled_back_savepoint(session: Session, rolled_back: SessionTransaction) -> None:
    """What a rolled-back savepoint (or anything inside it) changed never happened."""
    noted = session.info.get(_NOTED)
    if noted:
        session.info[_NOTED] = [
            (transaction, changes)
            for transaction, changes in noted
            if not _within(transaction, rolled_back)
        ]


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)


def apply_changes(
    session: Session, changes: list[tuple[Facts | None, Facts | None]], *, time_zone: str
) -> None:
    """Move each complaint's shares from its `before` facts to its `after` ones (None: absent)."""
    deltas: dict[type[TallyRows], dict[tuple[Any, ...], Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for before, after in changes:
        for sign, facts in ((-1, before), (1, after)):
            if facts is None:
                continue
            for tally, key, values in shares(facts, time_zone):
                counts = deltas[tally][tuple(key.values())]
                for name, value in values.items():
                    counts[name] += sign * value
    connection = session.connection()  # Core statements: no ORM events for the tally rows
    for tally in TALLIES:
        keys, count_names = _columns(tally)
        rows = [
            {
                "pending": True,
                **dict(zip(keys, key, strict=True)),
                **{name: delta[name] for name in count_names},
            }
            for key, delta in deltas[tally].items()
            if any(delta.values())
        ]
        if rows:
            connection.execute(_append(tally), rows)
            note_written(session, [tally.__tablename__])


def fold(session: Session) -> int:
    """Sum the rows of every key that has pending rows into one settled row; the number of
    rows this removed. The sums read the same before and after, so no kept answer is dropped.

    Safe beside writers and other folds: a pending row that commits while this runs is not
    seen by it and waits for the next fold (on PostgreSQL the DELETE removes only rows
    committed when it started, and sums exactly those it returns)."""
    connection = session.connection()  # Core statements: the sums do not change
    removed = 0
    for tally in TALLIES:
        table = table_of(tally)
        keys, count_names = _columns(tally)
        key_columns = [table.c[name] for name in keys]
        touched = select(*key_columns).where(table.c.pending).distinct()
        taken = connection.execute(
            delete(table)
            .where(tuple_(*key_columns).in_(touched))
            .returning(*key_columns, *(table.c[name] for name in count_names))
        ).all()
        sums: dict[tuple[Any, ...], list[int]] = {}
        for row in taken:
            counts = sums.setdefault(tuple(row[: len(keys)]), [0] * len(count_names))
            for index, value in enumerate(row[len(keys) :]):
                counts[index] += value
        settled = [
            {
                "pending": False,
                **dict(zip(keys, key, strict=True)),
                **dict(zip(count_names, counts, strict=True)),
            }
            for key, counts in sums.items()
            if any(counts)
        ]
        if settled:
            connection.execute(_append(tally), settled)
        removed += len(taken) - len(settled)
    return removed


async def fold_every(engine: Engine) -> None:
    """The server's background fold: every `FOLD_SECONDS`, in a thread, until cancelled."""
    while True:
        await asyncio.sleep(FOLD_SECONDS)
        try:
            await asyncio.to_thread(_fold_and_commit, engine)
        except Exception:  # a failed fold leaves the rows pending for the next one
            logger.exception("folding the Life Room tallies failed")


def _fold_and_commit(engine: Engine) -> None:
    with Session(engine) as session:
        fold(session)
        session.commit()


def install() -> None:
    """Register the tallies' hooks (``backend.database`` does, for every engine): without them
    a write to complaints would leave the Life Room behind."""
    for name in TRACKED:
        attribute = getattr(Complaint, name)
        if not event.contains(attribute, "set", _keep_replaced_value):
            event.listen(attribute, "set", _keep_replaced_value, active_history=True)
    listen_once(Session, "after_flush", _note_complaint_changes)
    listen_once(Session, "before_commit", _write_before_commit)
    listen_once(Session, "after_soft_rollback", _forget_rolled_back_savepoint)
    listen_once(Session, "after_transaction_end", _forget_at_the_end)


@cache
def _columns(tally: type[TallyRows]) -> tuple[tuple[str, ...], list[str]]:
    """The key columns and the count columns of a tally."""
    others = {"id", "pending", *tally.KEY}
    return tally.KEY, [c.name for c in table_of(tally).columns if c.name not in others]


@cache
def _append(tally: type[TallyRows]) -> Insert:
    """The INSERT of a tally's rows, built once."""
    return insert(table_of(tally))


def rebuild(session: Session) -> None:
    """Recompute every tally from the complaint table, in SQL (a GROUP BY per tally)."""
    sql = Sql(session.get_bind().dialect.name, region_snapshot(session).time_zone)
    for tally in TALLIES:
        session.execute(delete(tally))
    filed_on, resolved_on = (
        sql.date(col(Complaint.created_at)),
        sql.date(col(Complaint.resolved_at)),
    )
    place = {"agency_id": Complaint.agency_id, "category_id": Complaint.category_id}
    resolved = col(Complaint.resolved_at).is_not(None)
    count = {"complaints": func.count()}
    _insert_groups(
        session,
        FiledTally,
        keys={"filed_on": filed_on, **place, "status": Complaint.status},
        values={
            **count,
            "resolved": func.count(col(Complaint.resolved_at)),
            "resolved_on_time": func.sum(case((resolved_on <= Complaint.due_date, 1), else_=0)),
            "rating_sum": func.coalesce(func.sum(Complaint.rating), 0),
            "ratings": func.count(col(Complaint.rating)),
        },
    )
    _insert_groups(
        session,
        ResolutionTally,
        keys={"filed_on": filed_on, **place, "working_days": Complaint.resolution_working_days},
        values=count,
        where=[resolved, col(Complaint.resolution_working_days).is_not(None)],
    )
    _insert_groups(
        session,
        ResolvedTally,
        keys={"resolved_on": resolved_on, **place},
        values=count,
        where=[resolved],
    )
    _insert_groups(
        session,
        RunningTally,
        keys={"due_date": Complaint.due_date, **place},
        values=count,
        where=[col(Complaint.status).in_(sorted(RUNNING_STATUSES))],
    )
    row, column = sql_grid_cell(sql, DENSITY_ZOOM)
    _insert_groups(
        session,
        DensityTally,
        keys={
            "filed_on": filed_on,
            "cell_row": row,
            "cell_column": column,
            "agency_id": Complaint.agency_id,
        },
        values=count,
    )


def _insert_groups(
    session: Session,
    tally: type[TallyRows],
    *,
    keys: dict[str, Any],
    values: dict[str, Any],
    where: Sequence[ColumnElement[bool]] = (),
) -> None:
    labelled = [expression.label(name) for name, expression in {**keys, **values}.items()]
    groups = select(false(), *labelled).where(*where).group_by(*labelled[: len(keys)])
    session.execute(insert(tally).from_select(["pending", *keys, *values], groups))

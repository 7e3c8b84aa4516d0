"""Life Room benchmark: dashboard (city, one agency), density grid and export at a million.

    .venv/bin/python -m bench.dashboard                     # 1M complaints, SQLite
    .venv/bin/python -m bench.dashboard --count 100000
    .venv/bin/python -m bench.dashboard --database-url postgresql://postgres@127.0.0.1/bench

Seeds the demo city with `warga complaints generate` (20k realistic complaints over the last 90
days, the dashboard's default period), then doubles the table with INSERT ... SELECT until it
holds `--count` rows, and rebuilds the dashboard's tallies from them: a million are ready in
seconds instead of half an hour. The export of a million rows takes longer than wrk's request
timeout, so every endpoint is timed the same way: sequential requests from the client core
(p50 and slowest of five), beside the same measure of a bare FastAPI endpoint.
"""

import argparse
import os
import statistics
import tempfile
import time

import httpx
from sqlalchemy import text

from bench.complaints import generate, token
from bench.foundation import prepare_database
from bench.harness import Load, print_table, serve

SEED_COUNT = 20_000
REPEATS = 5
CITY_VIEW = "min_lat=-6.40&min_lon=106.60&max_lat=-6.20&max_lon=106.80&zoom=13"
# Finer than the density tally's zoom: counted from the complaints of a district-sized box.
DISTRICT_VIEW = "min_lat=-6.32&min_lon=106.68&max_lat=-6.27&max_lon=106.73&zoom=16"
# Every column but the id and the (unique) tracking number, which the copies leave empty.
COPIED = (
    "reporter_id, category_id, agency_id, assignee_id, status, status_before_pause, title, "
    "description, address, latitude, longitude, answers, anonymous, confidential, due_date, "
    "paused_at, resolved_at, resolution_working_days, closed_at, rating, rating_comment, "
    "duplicate_of_id, created_at, updated_at, version"
)


def prepare(directory: str, database_url: str | None) -> str:
    """A fresh database with the demo city: SQLite in `directory`, or the given one emptied."""
    if database_url is None:
        return prepare_database(directory)
    from sqlmodel import Session

    from backend.accounts.passwords import PasswordHashing
    from backend.config import Settings
    from backend.database import open_engine
    from backend.demo import install_demo
    from backend.migrations import upgrade

    engine = open_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    with Session(engine) as session:
        install_demo(session, hashing=PasswordHashing(Settings(database_url=database_url)))
        session.commit()
    engine.dispose()
    return database_url


def multiply(url: str, count: int) -> None:
    from sqlmodel import Session

    from backend.database import open_engine
    from backend.stats.tallies import rebuild

    engine = open_engine(url)
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT count(*) FROM complaint")).scalar_one()
        while rows < count:
            limit = min(rows, count - rows)
            connection.execute(
                text(
                    f"INSERT INTO complaint ({COPIED}) "
                    f"SELECT {COPIED} FROM complaint ORDER BY id LIMIT {limit}"
                )
            )
            rows += limit
    with Session(engine) as session:  # as `warga stats rebuild` would after a bulk import
        started = time.perf_counter()
        rebuild(session)
        session.commit()
        print(f"tallies rebuilt from {rows} complaints in {time.perf_counter() - started:.1f} s")
    # As autovacuum would by now: statistics, and (PostgreSQL) the visibility map that lets
    # index-only scans skip the table.
    vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(vacuum))
    engine.dispose()
    print(f"complaint table: {rows} rows")


def timed(name: str, url: str, headers: dict[str, str] | None = None) -> Load:
    """`REPEATS` sequential GETs after one warm-up; the body is read to its end."""
    durations = []
    with httpx.Client(headers=headers, timeout=600) as client:
        for attempt in range(REPEATS + 1):
            started = time.perf_counter()
            with client.stream("GET", url) as response:
                response.raise_for_status()
                for _ in response.iter_bytes():
                    pass
            if attempt:
                durations.append(time.perf_counter() - started)
    p50 = statistics.median(durations)
    return Load(
        name=name, requests_per_s=1 / p50, p50_ms=p50 * 1000, p99_ms=max(durations) * 1000, errors=0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare(directory, args.database_url)
        generate(url, min(SEED_COUNT, args.count))
        multiply(url, args.count)
        with serve("bench.ceiling:app", factory=False) as bare:
            ceiling = timed("bare FastAPI GET /hello (ceiling)", bare.url + "/hello")
        env = {"WARGA_DATABASE_URL": url, "WARGA_LOG_LEVEL": "WARNING"}
        with serve("backend.main:create_app", env=env) as server:
            api = server.url + "/api/v1"
            admin = {
                "Authorization": "Bearer "
                + token(api, "admin@harapanbaru.go.id", "admin-demo-2026")
            }
            head = {
                "Authorization": "Bearer "
                + token(api, "kepala.dbmsda@harapanbaru.go.id", "kepala-demo-2026")
            }
            loads = [
                timed("GET /dashboard (admin, whole city, 90 days)", api + "/dashboard", admin),
                timed("GET /dashboard (supervisor, one agency)", api + "/dashboard", head),
                timed(
                    "GET /dashboard/density (city, zoom 13)",
                    api + f"/dashboard/density?{CITY_VIEW}",
                    admin,
                ),
                timed(
                    "GET /dashboard/density (district, zoom 16)",
                    api + f"/dashboard/density?{DISTRICT_VIEW}",
                    admin,
                ),
                timed("GET /open-data/complaints.csv (90 days)", api + "/open-data/complaints.csv"),
            ]
            peak = server.peak_rss_mb()

    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nWarga Life Room benchmark, {args.count} complaints, {engine} ({os.cpu_count()} cores)"
    )
    print("req/s is 1 / p50 of sequential requests; p99 column: the slowest of five")
    print_table(ceiling, loads, targets={})
    print(f"server peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()

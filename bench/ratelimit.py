"""What a write limit costs: one counted write (per account and per address) on each storage.

    .venv/bin/python -m bench.ratelimit [--postgres URL] [--redis URL] [--count N]

For each storage it times `WriteLimits.hit` (a check, an atomic increment and the window's state,
for the account and for the address) and, as the ceiling from the same run, the cheapest round
trip to the same store (`SELECT 1` on the database, `PING` on Redis), and prints both per second
with their ratio. In-process, single-threaded: it measures the limiter, not the HTTP stack.
"""

import argparse
import tempfile
import time
import uuid

import redis
from sqlalchemy import text

from backend.config import Settings
from backend.db import make_engine
from backend.migrations import upgrade
from backend.ratelimit import WriteLimits


def per_second(count: int, run) -> float:
    started = time.perf_counter()
    for number in range(count):
        run(number)
    return count / (time.perf_counter() - started)


def measure(name: str, settings: Settings, ceiling, count: int) -> tuple[str, float, float]:
    engine = make_engine(settings.database_url)
    limits = WriteLimits(settings, engine)
    limits.storage.reset()
    # Many accounts behind few addresses, as a city's writes arrive.
    hits = per_second(
        count, lambda n: limits.hit("filing", account_id=n % 500, address=f"10.0.{n % 7}.1")
    )
    floor = per_second(count, ceiling(engine))
    limits.storage.reset()
    engine.dispose()
    return name, hits, floor


def database_round_trip(engine):
    def run(_):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too (its tables made)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    generous = {"rate_limit_filing": "1000000/hour"}
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        sqlite_url = f"sqlite:///{directory}/bench.db"
        upgrade(sqlite_url)
        databases = [("SQLite", sqlite_url)]
        if args.postgres:
            upgrade(args.postgres)
            databases.append(("PostgreSQL", args.postgres))
        for name, url in databases:
            settings = Settings(database_url=url, **generous)
            rows.append(measure(f"{name} counters", settings, database_round_trip, args.count))
        prefix = f"warga-bench-{uuid.uuid4().hex}"
        settings = Settings(
            database_url=sqlite_url, redis_url=args.redis, redis_key_prefix=prefix, **generous
        )
        client = redis.Redis.from_url(args.redis)
        ping = lambda _engine: lambda _n: client.ping()  # noqa: E731
        rows.append(measure("Redis counters", settings, ping, args.count))
        client.close()

    print(f"{'storage':<22}{'writes/s':>12}{'ceiling/s':>12}{'ratio':>8}")
    for name, hits, floor in rows:
        print(f"{name:<22}{hits:>12.0f}{floor:>12.0f}{hits / floor:>8.2f}")
    print("ceiling: one round trip to the same store (SELECT 1 / PING)")


if __name__ == "__main__":
    main()

"""Foundation benchmark: the public catalogue, an authenticated read, a 304 and a login.

    make bench            # or: .venv/bin/python -m bench.foundation
    .venv/bin/python -m bench.foundation --database-url postgresql+psycopg://postgres@host/db

With `--database-url` the server uses that PostgreSQL database instead of a new SQLite file:
give one you can spare, since its schema is dropped and recreated.

Prints requests/s and p50/p99 latency beside a bare FastAPI endpoint's (the ceiling) measured in
the same run, and the server's peak memory.
"""

import argparse
import os
import tempfile

import httpx

from bench.harness import print_table, serve, wrk

ME = "GET /api/v1/me (bearer token)"


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to serve from (emptied first) instead of a new SQLite file",
    )


def prepare_database(directory: str, database_url: str | None = None) -> str:
    """The demo city in a new SQLite file in `directory`, or in `database_url` emptied first."""
    from sqlalchemy import text
    from sqlmodel import Session

    from backend.accounts.passwords import PasswordHashing
    from backend.config import Settings
    from backend.database import open_engine
    from backend.demo import install_demo
    from backend.migrations import upgrade

    url = database_url or f"sqlite:///{directory}/bench.db"
    if database_url:
        engine = open_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    with Session(open_engine(url)) as session:
        install_demo(session, hashing=PasswordHashing(Settings(database_url=url)))
        session.commit()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory, args.database_url)
        with serve("bench.ceiling:app", factory=False) as bare:
            ceiling = wrk("bare FastAPI GET /hello (ceiling)", bare.url + "/hello")
        env = {"WARGA_DATABASE_URL": url, "WARGA_LOG_LEVEL": "WARNING"}
        with serve("backend.main:create_app", env=env) as server:
            api = server.url + "/api/v1"
            token = httpx.post(
                api + "/auth/token",
                data={"username": "siti@example.com", "password": "warga-demo-2026"},
            ).json()["access_token"]
            etag = httpx.get(api + "/permit-types").headers["etag"]
            loads = [
                wrk("GET /api/v1/permit-types (public)", api + "/permit-types"),
                wrk(
                    "GET /api/v1/permit-types If-None-Match (304)",
                    api + "/permit-types",
                    headers={"If-None-Match": etag},
                ),
                wrk(
                    ME,
                    api + "/me",
                    headers={"Authorization": f"Bearer {token}"},
                ),
                wrk(
                    "POST /api/v1/auth/token (Argon2id)",
                    api + "/auth/token",
                    method="POST",
                    connections=2,
                    seconds=5,
                    body="username=siti%40example.com&password=warga-demo-2026",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
            ]
            peak = server.peak_rss_mb()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nWarga foundation benchmark, {engine} ({os.cpu_count()} cores; server on core 0, "
        "wrk on core 1)"
    )
    print_table(ceiling, loads, targets={ME: 0.50})
    print(f"server peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()

"""Foundation benchmark: the public catalogue, an authenticated read, a 304 and a login.

    make bench            # or: .venv/bin/python -m bench.foundation

Prints requests/s and p50/p99 latency beside a bare FastAPI endpoint's (the ceiling) measured in
the same run, and the server's peak memory.
"""

import os
import tempfile

import httpx

from bench.harness import print_table, serve, wrk


def prepare_database(directory: str) -> str:
    from sqlmodel import Session

    from backend.accounts.passwords import PasswordHashing
    from backend.config import Settings
    from backend.db import make_engine
    from backend.demo import install_demo
    from backend.migrations import upgrade

    url = f"sqlite:///{directory}/bench.db"
    upgrade(url)
    with Session(make_engine(url)) as session:
        install_demo(session, hashing=PasswordHashing(Settings(database_url=url)))
        session.commit()
    return url


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory)
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
                    "GET /api/v1/me (bearer token)",
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
    print(f"\nWarga foundation benchmark ({os.cpu_count()} cores; server on core 0, wrk on core 1)")
    print_table(ceiling, loads, targets={})
    print(f"server peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()

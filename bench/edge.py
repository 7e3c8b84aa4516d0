"""Edge benchmark: what one oversized request costs the server.

    .venv/bin/python -m bench.edge

Sends a 64 MB JSON complaint to the real server, once with a Content-Length and once chunked,
and prints the answer, how long it took and the server's peak memory before and after. With the
body limit (WARGA_MAX_JSON_BODY_KB) the body is refused while it is read; without it, the whole
body is read and parsed before validation refuses it.
"""

import json
import os
import tempfile
import time
from collections.abc import Iterator

import httpx

from bench.foundation import prepare_database
from bench.harness import serve

BODY_MB = 64


def complaint(size_mb: int) -> bytes:
    body = {
        "category": "jalan-rusak",
        "title": "Lubang besar",
        "description": "x" * (size_mb * 1024 * 1024),
        "latitude": -6.2901,
        "longitude": 106.7163,
    }
    return json.dumps(body).encode()


def chunks(data: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def main() -> None:
    body = complaint(BODY_MB)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory)
        env = {"WARGA_DATABASE_URL": url, "WARGA_LOG_LEVEL": "WARNING"}
        with serve("backend.main:create_app", env=env) as server:
            api = server.url + "/api/v1"
            token = httpx.post(
                api + "/auth/token",
                data={"username": "siti@example.com", "password": "warga-demo-2026"},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            idle = server.peak_rss_mb()
            for name, content in (("Content-Length", body), ("chunked", chunks(body))):
                started = time.perf_counter()
                try:
                    response = httpx.post(
                        api + "/complaints", content=content, headers=headers, timeout=120
                    )
                    answer = f"{response.status_code} {response.json().get('code')}"
                except httpx.TransportError as exc:  # closed while we were still sending
                    answer = f"connection closed ({type(exc).__name__})"
                seconds = time.perf_counter() - started
                rows.append((name, answer, seconds, server.peak_rss_mb()))
    print(f"\nWarga edge benchmark: one {BODY_MB} MB JSON body ({os.cpu_count()} cores)")
    print(f"server peak memory before: {idle:.0f} MB")
    print(f"{'body sent with':<16} {'answer':<32} {'seconds':>8} {'peak MB':>8}")
    for name, answer, seconds, peak in rows:
        print(f"{name:<16} {answer:<32} {seconds:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()

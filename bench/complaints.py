"""Complaints benchmark: the public feed, the queues (also while filings arrive), a complaint,
the inbox, permits, filing.

    .venv/bin/python -m bench.complaints                    # 10k complaints
    .venv/bin/python -m bench.complaints --large 1000000    # plus the queue at 1M
    .venv/bin/python -m bench.complaints --database-url postgresql+psycopg://...  # emptied first

Seeds the demo city with `warga complaints generate N --permits P`, starts the server as
`make run` does and drives it with wrk from the other core. Each figure is printed beside a bare
FastAPI endpoint's (the ceiling) measured in the same run, with the issue's target share of it.
The floor rows are bare FastAPI endpoints (`bench.ceiling`): one reads 20 complaints with one
raw-driver query, the other makes a filing's writes through the raw driver in one transaction.
They show what any read or filing of this database costs before Warga does anything.
"""

import argparse
import io
import json
import os
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image

from bench.foundation import database_option, prepare_database
from bench.harness import PYTHON, ROOT, Load, print_table, serve, wrk

FLOOR = "bare FastAPI + 1 raw-driver query (floor)"
FILING_FLOOR = "bare FastAPI + a filing's raw writes (floor)"
FEED = "GET public feed (20 items)"
QUEUE = "GET officer queue (20 items)"
MINE = "GET my complaints (20 items)"
PERMITS = "GET officer's permit applications (20)"
FILE = "POST complaint, no photo"
QUEUE_WHILE_FILING = "GET officer queue, 10 filings/s elsewhere"
DETAIL = "GET a complaint's detail (reporter)"
INBOX = "GET officer's inbox (20 entries)"
PHOTO = "POST 1 MB photo to a complaint"
TARGETS = {FEED: 0.50, QUEUE: 0.30, MINE: 0.30, PERMITS: 0.30, DETAIL: 0.30, INBOX: 0.30}
TARGETS[FILE] = 0.10
MEMORY_TARGET_MB = 250
PERMITS_COUNT = 500  # submitted applications, spread over the permit agencies
QUEUE_GROWTH_TARGET = 1.3

COMPLAINT = {
    "category": "pju-mati",
    "title": "Lampu jalan mati di Jl. Kenanga",
    "description": "Tiga lampu berturut-turut mati sejak minggu lalu, jalan gelap sekali.",
    "latitude": -6.2901,
    "longitude": 106.7163,
    "answers": {"jumlah_titik": 3},
}
BOUNDARY = "warga-bench-boundary"


def generate(url: str, count: int, *, permits: int = 0) -> None:
    """`warga complaints generate` (it draws its own progress bar)."""
    env = {**os.environ, "WARGA_DATABASE_URL": url}
    command = [PYTHON, "-m", "backend.cli", "complaints", "generate", str(count)]
    command += ["--permits", str(permits)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def token(api: str, username: str, password: str) -> str:
    response = httpx.post(api + "/auth/token", data={"username": username, "password": password})
    response.raise_for_status()
    return response.json()["access_token"]


def photo_body(directory: str) -> str:
    """A multipart body with one ~1 MB JPEG (noise compresses badly, like a detailed photo)."""
    noise = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=85)
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + buffer.getvalue()
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    path = Path(directory) / "photo-body.bin"
    path.write_bytes(body)
    print(f"photo: {len(buffer.getvalue()) / 1e6:.2f} MB")
    return str(path)


def photo_uploads(body_path: str, first_id: int, count: int, bearer: str) -> str:
    """A wrk request function spreading uploads over `count` complaints (5 photos each at most)."""
    headers = {
        "Authorization": f"Bearer {bearer}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    header_table = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return (
        f'local file = io.open({json.dumps(body_path)}, "rb")\n'
        'local body = file:read("*a")\n'
        "file:close()\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f"  local id = {first_id} + counter % {count}\n"
        f'  return wrk.format("POST", "/api/v1/complaints/" .. id .. "/photos", {{{header_table}}},'
        " body)\n"
        "end"
    )


@contextmanager
def filing_meanwhile(api: str, bearer: str, per_second: float) -> Iterator[None]:
    """File the benchmark's complaint (a street light: Dishub's) `per_second` times a second
    from a thread while the block runs: the writes a busy city makes while others read."""
    stop = threading.Event()

    def file() -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {bearer}"}) as client:
            while not stop.wait(1 / per_second):
                headers = {"Idempotency-Key": uuid.uuid4().hex}
                client.post(api + "/complaints", json=COMPLAINT, headers=headers).raise_for_status()

    filer = threading.Thread(target=file)
    filer.start()
    try:
        yield
    finally:
        stop.set()
        filer.join()


def measure(url: str, directory: str) -> tuple[list[Load], float]:
    env = {
        "WARGA_DATABASE_URL": url,
        "WARGA_LOG_LEVEL": "WARNING",
        "WARGA_MEDIA_DIR": str(Path(directory) / "media"),
        # One resident files and uploads at full speed: the limits still count every write
        # (their cost is part of the figures) but never refuse one.
        "WARGA_RATE_LIMIT_FILING": "1000000000/hour",
        "WARGA_RATE_LIMIT_UPLOADS": "1000000000/hour",
    }
    with serve("backend.main:create_app", env=env) as server:
        api = server.url + "/api/v1"
        resident = token(api, "siti@example.com", "warga-demo-2026")
        officer = token(api, "petugas.dbmsda@harapanbaru.go.id", "petugas-demo-2026")
        # Building approvals (PBG) are DBPR's: a full page of its applications.
        permits_officer = token(api, "petugas.dbpr@harapanbaru.go.id", "petugas-demo-2026")
        as_resident = {"Authorization": f"Bearer {resident}"}
        as_officer = {"Authorization": f"Bearer {officer}"}
        as_permits_officer = {"Authorization": f"Bearer {permits_officer}"}
        loads = [
            wrk(FEED, api + "/public/complaints?limit=20"),
            wrk(QUEUE, api + "/complaints/queue?limit=20", headers=as_officer),
            wrk(MINE, api + "/complaints/mine?limit=20", headers=as_resident),
            wrk(PERMITS, api + "/permits/applications?limit=20", headers=as_permits_officer),
            wrk(
                FILE,
                api + "/complaints",
                method="POST",
                body=json.dumps(COMPLAINT),
                headers={"Authorization": f"Bearer {resident}", "Content-Type": "application/json"},
                unique_header="Idempotency-Key",
            ),
        ]
        # The same queue while complaints keep arriving at another agency: what a kept answer
        # is worth when the table it shows is written all the time.
        with filing_meanwhile(api, resident, per_second=10):
            loads.append(
                wrk(QUEUE_WHILE_FILING, api + "/complaints/queue?limit=20", headers=as_officer)
            )
        # The complaints just filed are open and Siti's: the photos go to them.
        mine = httpx.get(
            api + "/complaints/mine?limit=1", headers={"Authorization": f"Bearer {resident}"}
        ).json()["items"]
        newest = mine[0]["id"]
        filing = next(load for load in loads if load.name == FILE)
        filed = int(filing.requests_per_s * 8 * 0.9)
        loads.append(wrk(DETAIL, f"{api}/complaints/{newest}", headers=as_resident))
        # Street lights are Dishub's: its officer got an entry for each complaint just filed.
        lights = token(api, "petugas.dishub@harapanbaru.go.id", "petugas-demo-2026")
        inbox_headers = {"Authorization": f"Bearer {lights}"}
        loads.append(wrk(INBOX, api + "/notifications?limit=20", headers=inbox_headers))
        loads.append(
            wrk(
                PHOTO,
                api + "/complaints",
                connections=4,
                request_lua=photo_uploads(
                    photo_body(directory), newest - filed + 1, filed, resident
                ),
            )
        )
        return loads, server.peak_rss_mb()


def queue_p50(url: str) -> float:
    env = {"WARGA_DATABASE_URL": url, "WARGA_LOG_LEVEL": "WARNING"}
    with serve("backend.main:create_app", env=env) as server:
        api = server.url + "/api/v1"
        officer = token(api, "petugas.dbmsda@harapanbaru.go.id", "petugas-demo-2026")
        headers = {"Authorization": f"Bearer {officer}"}
        return wrk(QUEUE, api + "/complaints/queue?limit=20", headers=headers).p50_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--large", type=int, help="also time the queue at this many complaints")
    database_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory, args.database_url)
        generate(url, args.count, permits=PERMITS_COUNT)
        with serve("bench.ceiling:app", factory=False, env={"WARGA_DATABASE_URL": url}) as bare:
            ceiling = wrk("bare FastAPI GET /hello (ceiling)", bare.url + "/hello")
            floor = wrk(FLOOR, bare.url + "/floor")
            filing_floor = wrk(
                FILING_FLOOR,
                bare.url + "/floor/filing",
                method="POST",
                body=json.dumps(COMPLAINT),
                headers={"Content-Type": "application/json"},
                unique_header="Idempotency-Key",
            )
        loads, peak = measure(url, directory)
        loads[0:0] = [floor, filing_floor]
        large_p50 = None
        if args.large:
            small_p50 = queue_p50(url)
            generate(url, args.large - args.count)
            large_p50 = queue_p50(url)

    print(
        f"\nWarga complaints benchmark, {args.count} complaints on "
        f"{'PostgreSQL' if args.database_url else 'SQLite'} "
        f"({os.cpu_count()} cores; server on core 0, wrk on core 1)"
    )
    print_table(ceiling, loads, targets=TARGETS)
    verdict = "ok" if peak < MEMORY_TARGET_MB else "MISS"
    print(f"server peak memory: {peak:.0f} MB (target < {MEMORY_TARGET_MB} MB) {verdict}")
    if large_p50 is not None:
        growth = large_p50 / small_p50
        verdict = "ok" if growth <= QUEUE_GROWTH_TARGET else "MISS"
        print(
            f"queue p50: {small_p50:.2f} ms at {args.count}, {large_p50:.2f} ms at {args.large}"
            f" ({growth:.2f}x, target <= {QUEUE_GROWTH_TARGET}x) {verdict}"
        )


if __name__ == "__main__":
    main()

"""Scale benchmark: `warga serve --workers 2` on PostgreSQL under mixed load, with 1,000 idle
live streams held throughout, then a burst of 300 filings and a burst of 300 stream opens.

    WARGA_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/warga_bench \\
        .venv/bin/python -m bench.scale

The database at WARGA_BENCH_DATABASE_URL is emptied first (its schema is dropped). The server is
pinned to one core and driven from the other over loopback by this script (asyncio + httpx,
which counts every status, unlike wrk). Each load is printed beside the bare-FastAPI ceiling
served with the same two workers in the same run. Also printed: the database transactions the
server makes while the 1,000 streams sit idle, how long an event caused by one request takes to
reach the streams (on either worker), and the most connections the server ever held (from
`pg_stat_activity`) against its budget.
"""

import asyncio
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from bench.harness import CLIENT_CORE, PYTHON, ROOT, SERVER_CORE, free_port

WORKERS = 2
BUDGET = 40  # database connections for the whole server (both workers and their listeners)
APPLICATION = "warga-bench-scale"  # marks the server's connections in pg_stat_activity
IDLE_USERS, STREAMS_PER_USER = 200, 5  # 1,000 idle streams
PROBE_STREAMS = 6  # the demo resident's streams, which receive the officer's actions
MIXED_SECONDS, MIXED_CONCURRENCY = 12, 32
BURST = 300
CHEAP_ARGON2 = {"WARGA_ARGON2_TIME_COST": "1", "WARGA_ARGON2_MEMORY_KIB": "64"}
RESIDENT = ("siti@example.com", "warga-demo-2026")
OFFICER = ("petugas.dbmsda@harapanbaru.go.id", "petugas-demo-2026")
COMPLAINT = {
    "category": "jalan-rusak",
    "title": "Lubang besar di Jl. Pahlawan",
    "description": "Lubang sedalam 20 cm di lajur kiri, dekat halte bus.",
    "latitude": -6.2901,
    "longitude": 106.7163,
    "answers": {"ukuran_lubang": "besar", "membahayakan": True},
}


# --- the database ---


def prepare(url: str) -> None:
    from sqlmodel import Session

    from backend.accounts.models import User
    from backend.accounts.passwords import PasswordHashing
    from backend.complaints.generate import generate_complaints
    from backend.config import Settings
    from backend.db import make_engine
    from backend.demo import install_demo
    from backend.migrations import upgrade

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    hashing = PasswordHashing(Settings(database_url=url, argon2_memory_kib=64))
    with Session(engine) as session:
        install_demo(session, hashing=hashing)
        generate_complaints(session, count=5000)
        hashed = hashing.hash("idle-stream-2026")
        session.add_all(
            User(full_name=f"Warga {n}", email=f"idle{n}@bench.example", password_hash=hashed)
            for n in range(IDLE_USERS)
        )
        session.commit()
    engine.dispose()


class ConnectionSampler:
    """The most connections the server held at once, sampled every 20 ms."""

    def __init__(self, url: str) -> None:
        from backend.db import make_engine

        self.engine = make_engine(url)
        self.peak = 0
        self.paused = threading.Event()  # set: no sampling (its own queries would be counted)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        with self.engine.connect() as connection:
            while not self._stop.is_set():
                if self.paused.is_set():
                    time.sleep(0.02)
                    continue
                count = connection.execute(query, {"name": APPLICATION}).scalar()
                connection.commit()
                self.peak = max(self.peak, count)
                time.sleep(0.02)

    def transactions(self) -> int:
        query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = "
        with self.engine.connect() as connection:
            return connection.execute(text(query + "current_database()")).scalar()

    def __enter__(self) -> "ConnectionSampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


# --- servers ---


@contextmanager
def serve(command: list[str], env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    pinned = ["taskset", "-c", SERVER_CORE, *command, "--port", str(port)]
    process = subprocess.Popen(pinned, cwd=ROOT, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- measuring ---


@dataclass
class Tally:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    no_retry_after: int = 0
    seconds: float = 0.0

    def record(self, started: float, response: httpx.Response | None) -> None:
        self.latencies.append(time.perf_counter() - started)
        if response is None:
            self.statuses["error"] += 1
            return
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.no_retry_after += 1

    def row(self, ceiling: float | None) -> str:
        count = len(self.latencies)
        rate = count / self.seconds if self.seconds else 0.0
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        share = f"{rate / ceiling:7.0%}" if ceiling else f"{'-':>7}"
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items(), key=str))
        return f"{self.name:40} {rate:8.0f} {share} {p50:8.1f} {p99:8.1f}  {statuses}" + (
            f"  ({self.no_retry_after} 503s without Retry-After)" if self.no_retry_after else ""
        )


async def timed(tally: Tally, client: httpx.AsyncClient, method: str, url: str, **kwargs):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError:
        tally.record(started, None)
        return None
    tally.record(started, response)
    return response


async def for_seconds(seconds: float, concurrency: int, step) -> float:
    ends = time.perf_counter() + seconds

    async def loop(n: int) -> None:
        while time.perf_counter() < ends:
            await step(n)

    started = time.perf_counter()
    await asyncio.gather(*(loop(n) for n in range(concurrency)))
    return time.perf_counter() - started


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    while True:
        response = await client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        if response.status_code == 200:
            return {"Authorization": f"Bearer {response.json()['access_token']}"}
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))


class Stream:
    """One open live stream; notes when each event arrives."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.task: asyncio.Task | None = None

    async def hold(self, client: httpx.AsyncClient, headers: dict, opened: asyncio.Event) -> None:
        while True:
            async with client.stream("GET", "/api/v1/notifications/stream", headers=headers) as r:
                if r.status_code == 503:
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                    continue
                opened.set()
                async for line in r.aiter_lines():
                    if line.startswith("data: "):
                        entry = json.loads(line.removeprefix("data: "))
                        if entry["kind"] == "complaint.verified":  # what the probes time
                            self.arrivals.setdefault(entry["subject_id"], time.perf_counter())
                return


async def open_streams(client, headers_list: list[dict], at_once: int) -> list[Stream]:
    gate = asyncio.Semaphore(at_once)
    streams = []

    async def one(headers: dict) -> None:
        async with gate:
            stream, opened = Stream(), asyncio.Event()
            stream.task = asyncio.create_task(stream.hold(client, headers, opened))
            streams.append(stream)
            await opened.wait()

    await asyncio.gather(*(one(h) for h in headers_list))
    return streams


# --- the run ---


async def measure_ceiling(url: str) -> Tally:
    tally = Tally("bare FastAPI GET /hello (ceiling)")
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=64)) as client:

        async def step(_n: int) -> None:
            await timed(tally, client, "GET", "/hello")

        tally.seconds = await for_seconds(8, 32, step)
    return tally


async def measure_warga(url: str, sampler: ConnectionSampler) -> dict:
    limits = httpx.Limits(max_connections=3000, max_keepalive_connections=3000)
    timeout = httpx.Timeout(60)
    async with (
        httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as streams_client,
        httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client,
    ):
        resident = await login(client, *RESIDENT)
        officer = await login(client, *OFFICER)
        idle_headers = []
        for n in range(IDLE_USERS):
            headers = await login(client, f"idle{n}@bench.example", "idle-stream-2026")
            idle_headers += [headers] * STREAMS_PER_USER
        started = time.perf_counter()
        idle = await open_streams(streams_client, idle_headers, at_once=20)
        probes = await open_streams(streams_client, [resident] * PROBE_STREAMS, at_once=6)
        opening = time.perf_counter() - started

        sampler.paused.set()
        # Settled: an idle PostgreSQL backend reports its counters up to 10 s late, so the
        # streams' opening must not be counted as idle work.
        await asyncio.sleep(12)
        before, idle_started = sampler.transactions(), time.perf_counter()
        await asyncio.sleep(10)
        idle_transactions = sampler.transactions() - before - 1  # less the reading itself
        idle_tps = idle_transactions / (time.perf_counter() - idle_started)
        sampler.paused.clear()

        tallies = {
            name: Tally(name)
            for name in (
                "mixed: GET public feed",
                "mixed: GET officer queue",
                "mixed: GET /me",
                "mixed: GET inbox",
                "mixed: POST complaint",
                "mixed: POST officer action (verify)",
            )
        }
        filed: list[int] = []
        acted: dict[int, float] = {}
        names = list(tallies)

        async def step(n: int) -> None:
            step.count += 1
            name = names[(n + step.count) % len(names)]
            tally = tallies[name]
            if name.endswith("feed"):
                await timed(tally, client, "GET", "/api/v1/public/complaints")
            elif name.endswith("queue"):
                await timed(tally, client, "GET", "/api/v1/complaints/queue", headers=officer)
            elif name.endswith("/me"):
                await timed(tally, client, "GET", "/api/v1/me", headers=resident)
            elif name.endswith("inbox"):
                await timed(tally, client, "GET", "/api/v1/notifications", headers=resident)
            elif name.endswith("complaint"):
                r = await timed(
                    tally, client, "POST", "/api/v1/complaints", json=COMPLAINT, headers=resident
                )
                if r is not None and r.status_code == 201:
                    filed.append(r.json()["id"])
            elif filed:
                complaint_id = filed.pop()
                path = f"/api/v1/complaints/{complaint_id}/actions/verify"
                sent = time.perf_counter()
                r = await timed(
                    tally, client, "POST", path, json={"note": "Benar."}, headers=officer
                )
                if r is not None and r.status_code == 200:
                    acted[complaint_id] = (sent, time.perf_counter())

        step.count = 0
        seconds = await for_seconds(MIXED_SECONDS, MIXED_CONCURRENCY, step)
        for tally in tallies.values():
            tally.seconds = seconds
        await asyncio.sleep(1)  # the last events in flight
        # From the officer's request leaving (the action's own work included), and from its
        # answer arriving (the commit is done by then; an event may even arrive first: 0).
        delays = [
            (probe.arrivals[complaint_id] - sent, max(0.0, probe.arrivals[complaint_id] - answered))
            for complaint_id, (sent, answered) in acted.items()
            for probe in probes
            if complaint_id in probe.arrivals
        ]
        missed = sum(1 for c in acted for p in probes if c not in p.arrivals)

        burst_files = Tally(f"burst: {BURST} POST complaint at once")
        started = time.perf_counter()
        await asyncio.gather(
            *(
                timed(
                    burst_files,
                    client,
                    "POST",
                    "/api/v1/complaints",
                    json=COMPLAINT,
                    headers=resident,
                )
                for _ in range(BURST)
            )
        )
        burst_files.seconds = time.perf_counter() - started

        burst_streams = Tally(f"burst: {BURST} stream opens at once")

        async def open_one() -> None:
            started = time.perf_counter()
            try:
                async with streams_client.stream(
                    "GET", "/api/v1/notifications/stream", headers=resident
                ) as response:
                    burst_streams.record(started, response)
            except httpx.HTTPError:
                burst_streams.record(started, None)

        started = time.perf_counter()
        await asyncio.gather(*(open_one() for _ in range(BURST)))
        burst_streams.seconds = time.perf_counter() - started

        for stream in idle + probes:
            stream.task.cancel()
        await asyncio.gather(*(s.task for s in idle + probes), return_exceptions=True)
    return {
        "tallies": [*tallies.values(), burst_files, burst_streams],
        "idle_streams": len(idle),
        "opening_seconds": opening,
        "idle_tps": idle_tps,
        "delays": delays,
        "missed": missed,
    }


def _ms(ordered: list[float], quantile: float) -> str:
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1000:.0f}"


def main() -> None:
    url = os.environ.get("WARGA_BENCH_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("set WARGA_BENCH_DATABASE_URL to a PostgreSQL database this benchmark may empty")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))  # 1,300 connections
    print("preparing the database (demo city, 5,000 complaints, 200 idle users) ...")
    prepare(url)
    os.sched_setaffinity(0, {int(CLIENT_CORE)})  # the driver keeps to its own core

    ceiling_command = [PYTHON, "-m", "uvicorn", "bench.ceiling:app", "--workers", str(WORKERS)]
    ceiling_command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    with serve(ceiling_command, {}) as bare:
        ceiling = asyncio.run(measure_ceiling(bare))

    env = {
        "WARGA_DATABASE_URL": url,
        "WARGA_DB_CONNECTION_BUDGET": str(BUDGET),
        "WARGA_LOG_LEVEL": "ERROR",
        "PGAPPNAME": APPLICATION,
        # One resident files hundreds of complaints here: the write limits count, never refuse.
        "WARGA_RATE_LIMIT_FILING": "1000000000/hour",
        **CHEAP_ARGON2,
    }
    command = [PYTHON, "-m", "backend.cli", "serve", "--workers", str(WORKERS)]
    with ConnectionSampler(url) as sampler, serve(command, env) as server:
        result = asyncio.run(measure_warga(server, sampler))

    rate = len(ceiling.latencies) / ceiling.seconds
    print(f"\n`warga serve --workers {WORKERS}` on PostgreSQL, budget {BUDGET} connections")
    print(f"{'load':40} {'req/s':>8} {'ceiling':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    print(ceiling.row(None))
    for tally in result["tallies"]:
        print(tally.row(rate))
    print(
        f"\nidle live streams held during the loads: {result['idle_streams']} "
        f"(+{PROBE_STREAMS} probes; opened in {result['opening_seconds']:.1f} s)"
    )
    print(f"database transactions/s while they sat idle: {result['idle_tps']:.2f}")
    from_request = sorted(d[0] for d in result["delays"]) or [0.0]
    after_answer = sorted(d[1] for d in result["delays"]) or [0.0]
    print(
        f"officer action -> resident's streams (either worker), {len(from_request)} deliveries, "
        f"{result['missed']} missed:\n"
        f"  from the action's request: p50 {_ms(from_request, 0.5)} ms, "
        f"p99 {_ms(from_request, 0.99)} ms\n"
        f"  after the action's answer: p50 {_ms(after_answer, 0.5)} ms, "
        f"p99 {_ms(after_answer, 0.99)} ms"
    )
    print(f"peak database connections (pg_stat_activity): {sampler.peak} of {BUDGET}")
    errors = sum(t.statuses.get(500, 0) for t in result["tallies"])
    print(f"500s: {errors}")


if __name__ == "__main__":
    main()

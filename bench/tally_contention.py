"""Do filings wait on each other's locks? Many connections file complaints of the same agency
and category at once on PostgreSQL, the case where every filing touches the same Life Room
tally rows, and a sampler watches how many of those connections wait on a lock.

    .venv/bin/python -m bench.tally_contention [--database-url postgresql+psycopg://...]

The database (by default the `bench` database on the local server) is emptied first and the
demo city seeded. The filings call the complaints service directly, in `--processes` processes
(as server workers would be) of `--threads` threads with a connection each: no HTTP and no rate
limits, so what is measured is the transactions and their locks. Half of the filings are
verified straight after by the agency's officer, which moves the same rows again. Prints the
transactions per second, their times, and how many connections waited on a lock
(``pg_stat_activity.wait_event_type = 'Lock'``, sampled every 5 ms).

On a machine whose cores the processes already fill, waiting on a lock costs little throughput
(the waiting connection's core serves another); where the database has cores to spare, the
longest lock held bounds how many filings of one day, agency and category commit per second.
"""

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
from multiprocessing.queues import Queue

from sqlalchemy import text
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.complaints import service
from backend.complaints.schemas import ComplaintCreate
from backend.database import open_engine
from backend.db import EngineOptions
from bench.foundation import prepare_database

COMPLAINT = ComplaintCreate(
    category="jalan-rusak",
    title="Lubang besar di Jl. Pahlawan",
    description="Lubang sedalam 20 cm di lajur kiri, dekat halte bus.",
    latitude=-6.2901,
    longitude=106.7163,
    answers={"ukuran_lubang": "besar", "membahayakan": True},
)
STARTING_SECONDS = 8  # for every process to start and connect before the common start
WAITING = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def file_and_verify(
    url: str, threads: int, window: tuple[float, float], results: "Queue[list[float]]"
) -> None:
    """One server-like process: `threads` connections filing (half of them then verified)
    within `window` (wall-clock start and end, the same for every process); puts each
    transaction's duration on `results`."""
    engine = open_engine(url, options=EngineOptions(pool_size=threads))
    with Session(engine) as session:
        resident_id, officer_id = (
            session.exec(select(User.id).where(User.email == email)).one()
            for email in ("siti@example.com", "petugas.dbmsda@harapanbaru.go.id")
        )
    durations: list[float] = []
    start, until = window

    def work() -> None:
        with Session(engine, expire_on_commit=False) as session:
            resident, officer = session.get(User, resident_id), session.get(User, officer_id)
            session.commit()
            time.sleep(max(0.0, start - time.time()))
            number = 0
            while time.time() < until:
                started = time.perf_counter()
                complaint = service.file_complaint(session, reporter=resident, data=COMPLAINT)
                session.commit()
                durations.append(time.perf_counter() - started)
                number += 1
                if number % 2:
                    started = time.perf_counter()
                    service.verify(session, complaint=complaint, actor=officer, note=None)
                    session.commit()
                    durations.append(time.perf_counter() - started)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    engine.dispose()
    results.put(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench"
    )
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="connections per process")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_database(directory, args.database_url)

    context = multiprocessing.get_context("spawn")
    results: Queue[list[float]] = context.Queue()
    start = time.time() + STARTING_SECONDS
    window = (start, start + args.seconds)
    processes = [
        context.Process(target=file_and_verify, args=(url, args.threads, window, results))
        for _ in range(args.processes)
    ]
    for process in processes:
        process.start()
    engine = open_engine(url)
    samples: list[int] = []
    with engine.connect() as connection:
        time.sleep(max(0.0, start - time.time()))
        while time.time() < window[1]:
            samples.append(connection.execute(WAITING).scalar_one())
            connection.commit()
            time.sleep(0.005)
    durations = sorted(d for _ in processes for d in results.get())
    elapsed = args.seconds
    for process in processes:
        process.join()
    engine.dispose()

    waiting = sum(1 for count in samples if count) / len(samples)
    connections = args.processes * args.threads
    print(f"{args.processes} processes x {args.threads} connections, {elapsed:.1f} s, PostgreSQL")
    print(f"  transactions (filings and verifications): {len(durations) / elapsed:7.1f} /s")
    print(f"  transaction time p50 {durations[len(durations) // 2] * 1000:7.1f} ms")
    print(f"  transaction time p99 {durations[int(len(durations) * 0.99)] * 1000:7.1f} ms")
    print(
        f"  of {connections} connections, waiting on a lock: mean {statistics.fmean(samples):5.2f}"
    )
    print(f"  samples with any connection waiting {waiting:6.1%}")


if __name__ == "__main__":
    main()

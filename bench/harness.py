"""Benchmark machinery shared by every script in bench/.

Servers start as `make run` starts them (uvicorn, uvloop, httptools, one worker) pinned to one
core; wrk drives them from the other core over loopback. Each figure is printed beside the
ceiling measured in the same run, because a 2-core machine's absolute numbers drift.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER_CORE, CLIENT_CORE = "0", "1"

_REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
    .. '"errors":%d,"non_2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Load:
    """One wrk run's result."""

    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pinned(core: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", core, *command] if shutil.which("taskset") else command


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    return wrk


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(line.split()[1]) / 1024


@contextmanager
def serve(app: str, *, env: dict[str, str] | None = None, factory: bool = True) -> Iterator[Server]:
    """Run uvicorn on a free loopback port with `make run`'s settings; stop it afterwards."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(
        _pinned(SERVER_CORE, command), cwd=ROOT, env={**os.environ, **(env or {})}
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        yield Server(url=url, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk(
    name: str,
    url: str,
    *,
    seconds: int = 8,
    connections: int = 32,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    unique_header: str | None = None,
    request_lua: str | None = None,
) -> Load:
    """Drive ``url`` with wrk from the client core. ``unique_header`` gets a fresh value per
    request (for Idempotency-Key); ``request_lua`` is a Lua ``request`` function of your own
    (e.g. to vary the path), used instead."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for key, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    if request_lua:
        lines.append(request_lua)
    elif unique_header:
        lines.append(
            "local counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            f"  wrk.headers[{json.dumps(unique_header)}] = "
            "string.format('bench-%d-%d-%d', os.time(), math.random(1e9), counter)\n"
            "  return wrk.format()\n"
            "end"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n" + _REPORT_LUA)
    try:
        output = subprocess.run(
            _pinned(
                CLIENT_CORE,
                [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
            ),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    report = json.loads(output.split("WRK-JSON ", 1)[1].splitlines()[0])
    return Load(
        name=name,
        requests_per_s=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        errors=report["errors"] + report["non_2xx"],
    )


def print_table(ceiling: Load, loads: list[Load], targets: dict[str, float]) -> None:
    """One row per load: requests/s, its share of the ceiling, the target share, latency."""
    print(
        f"{'endpoint':44} {'req/s':>8} {'ceiling':>8} {'target':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6}"
    )
    for load in [ceiling, *loads]:
        share = load.requests_per_s / ceiling.requests_per_s
        target = targets.get(load.name)
        verdict = "" if target is None else ("ok" if share >= target else "MISS")
        print(
            f"{load.name:44} {load.requests_per_s:8.0f} {share:8.0%} "
            f"{(f'{target:.0%}' if target is not None else '-'):>7} {load.p50_ms:8.2f} "
            f"{load.p99_ms:8.2f} {load.errors:6d} {verdict}"
        )

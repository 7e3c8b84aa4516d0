"""Fixtures for the app's tests: the real API server on a loopback port, with the demo loaded,
and `drive`, which runs the real app headless with one scripted scenario of `ui_driver.py`.

`api_server` is session-scoped and shared by every test that needs a server. It runs
`backend.main:create_app` under uvicorn in its own process, exactly as `warga serve` does, on a
migrated temporary SQLite database.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from backend.accounts.passwords import PasswordHashing
from backend.config import Settings
from backend.db import make_engine
from backend.demo import DemoAccount, install_demo
from backend.migrations import upgrade
from mobile.core.tokens import TokenStore
from tests.mobile.helpers import RecordedClient

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30
DRIVER = Path(__file__).with_name("ui_driver.py")
TIMEOUT_SECONDS = 60
# The demo accounts the UI scenarios log in as. Road complaints go to DBMSDA.
DRIVER_ACCOUNTS = {
    "resident": ("resident", None),
    "officer": ("officer", "dpmptsp"),
    "road_officer": ("officer", "dbmsda"),
    "event_officer": ("officer", "kesbangpol"),  # event recommendations (permits)
    "road_supervisor": ("supervisor", "dbmsda"),  # the Life Room of one agency
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ApiServer:
    base_url: str
    database_url: str
    accounts: list[DemoAccount]

    def account(self, role: str, agency: str | None = None) -> DemoAccount:
        return next(
            a for a in self.accounts if a.role == role and (agency is None or a.agency == agency)
        )


def server_environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "WARGA_ENVIRONMENT": "test",
        "WARGA_DATABASE_URL": database_url,
        # Cheap password hashing keeps logins fast; production costs are tested in backend.
        "WARGA_ARGON2_TIME_COST": "1",
        "WARGA_ARGON2_MEMORY_KIB": "64",
        "WARGA_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def api_server(tmp_path_factory) -> Iterator[ApiServer]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('server') / 'warga.db'}"
    upgrade(database_url)
    settings = Settings(
        environment="test", database_url=database_url, argon2_time_cost=1, argon2_memory_kib=64
    )
    engine = make_engine(database_url)
    with Session(engine) as session:
        # Without the demo's announcements: the scenarios publish and count their own.
        accounts = install_demo(session, hashing=PasswordHashing(settings), content=False)
        session.commit()
    engine.dispose()

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=server_environment(database_url),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield ApiServer(base_url, database_url, accounts)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the API server did not answer within {START_TIMEOUT_SECONDS} s")


@pytest.fixture
def unreachable_url() -> str:
    """A loopback address nothing listens on: requests fail at once, like a phone offline."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def make_client(tmp_path):
    """Build API clients (sharing one token store) whose requests a test can inspect."""
    clients: list[RecordedClient] = []
    tokens = TokenStore(tmp_path / "tokens")

    def make(base_url: str, **kwargs) -> RecordedClient:
        clients.append(RecordedClient(base_url, tokens, **kwargs))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


def headless_environment() -> dict[str, str]:
    return {
        **os.environ,
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_NO_ARGS": "1",
        "KIVY_LOG_MODE": "PYTHON",
        "PYTHONPATH": str(REPO_ROOT),
    }


@pytest.fixture
def drive(api_server, tmp_path):
    """`drive(scenario, *driver_options, api=..., data_dir=...)` -> what the scenario saw.

    Each call is a new app process; calls sharing a `data_dir` are restarts of the same app.
    """
    accounts = {}
    for name, (role, agency) in DRIVER_ACCOUNTS.items():
        account = api_server.account(role, agency)
        accounts[name] = {"username": account.username, "password": account.password}
    # A second resident, who says "me too" on the first one's complaint.
    neighbour = [a for a in api_server.accounts if a.role == "resident"][1]
    accounts["neighbour"] = {"username": neighbour.username, "password": neighbour.password}

    def drive(name: str, *extra: str, api: str | None = None, data_dir: Path | None = None) -> dict:
        completed = subprocess.run(
            [
                sys.executable,
                str(DRIVER),
                name,
                "--api",
                api or api_server.base_url,
                "--data-dir",
                str(data_dir or tmp_path / name),
                "--accounts",
                json.dumps(accounts),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env=headless_environment(),
            cwd=REPO_ROOT,
        )
        output = completed.stdout + completed.stderr
        assert completed.returncode == 0, output[-4000:]
        [line] = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
        return json.loads(line.removeprefix("RESULT "))

    return drive

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
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.core.tokens import TokenStore
from tests.live_server import REPO_ROOT, LiveServer, live_server
from tests.mobile.helpers import RecordedClient

DRIVER = Path(__file__).with_name("ui_driver.py")
TIMEOUT_SECONDS = 60
# The demo accounts the UI scenarios log in as. Road complaints go to DBMSDA.
DRIVER_ACCOUNTS = {
    "resident": ("resident", None),
    "officer": ("officer", "dpmptsp"),
    "road_officer": ("officer", "dbmsda"),
    "event_officer": ("officer", "kesbangpol"),  # event recommendations (permits)
    "event_supervisor": ("supervisor", "kesbangpol"),
    "road_supervisor": ("supervisor", "dbmsda"),  # the Life Room of one agency
}


@pytest.fixture(scope="session")
def api_server(tmp_path_factory) -> Iterator[LiveServer]:
    # Without the demo's announcements: the scenarios publish and count their own.
    with live_server(tmp_path_factory.mktemp("server"), demo_content=False) as server:
        yield server


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A loopback address nothing listens on: requests fail at once, like a phone offline.

    The port stays bound (never listening) for the whole test, so no server started meanwhile,
    by this test process or another pytest-xdist worker, can take it and answer."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


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

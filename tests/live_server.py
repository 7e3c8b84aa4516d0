"""A real Warga API server for end-to-end tests, started the way `warga serve` starts it.

A migrated SQLite database with the demo city in a temporary directory, served by uvicorn in its
own process on a free loopback port; stopped (killed if need be) when the block ends.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import Session

from backend.accounts.passwords import PasswordHashing
from backend.config import Settings
from backend.database import open_engine
from backend.demo import install_demo
from backend.demo_accounts import DemoAccount
from backend.migrations import upgrade

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    accounts: list[DemoAccount]
    environment: dict[str, str] = field(default_factory=dict)  # its WARGA_ settings

    def account(self, role: str, agency: str | None = None) -> DemoAccount:
        return next(
            a for a in self.accounts if a.role == role and (agency is None or a.agency == agency)
        )


def _settings_environment(directory: Path, database_url: str | None) -> dict[str, str]:
    return {
        "WARGA_ENVIRONMENT": "test",
        "WARGA_DATABASE_URL": database_url or f"sqlite:///{directory / 'warga.db'}",
        "WARGA_MEDIA_DIR": str(directory / "media"),
        "WARGA_SIGNING_KEY_FILE": str(directory / "city-key.pem"),
        # Cheap password hashing keeps logins fast; the real costs are tested in backend/auth.
        "WARGA_ARGON2_TIME_COST": "1",
        "WARGA_ARGON2_MEMORY_KIB": "64",
        "WARGA_LOG_LEVEL": "WARNING",
    }


@contextmanager
def live_server(
    directory: Path,
    *,
    demo_content: bool = True,
    database_url: str | None = None,
    environment: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Serve the demo city from `directory`; `demo_content` adds its announcements and FAQs.

    `database_url` serves an existing (empty) database instead of a new SQLite file, and
    `environment` adds or overrides settings (``WARGA_...``) for the server process."""
    base = _settings_environment(directory, database_url)
    # Only what preparing the database needs: the extras are for the server process (and may be
    # JSON, which only the environment parser reads).
    settings = Settings(**{k.removeprefix("WARGA_").lower(): v for k, v in base.items()})
    environment = {**base, **(environment or {})}
    upgrade(settings.database_url)
    engine = open_engine(settings.database_url)
    with Session(engine) as session:
        accounts = install_demo(session, hashing=PasswordHashing(settings), content=demo_content)
        session.commit()
    engine.dispose()
    with serve_process(environment) as base_url:
        yield LiveServer(base_url, settings.database_url, accounts, environment)


@contextmanager
def another_host(
    server: LiveServer,
    directory: Path,
    *,
    environment: dict[str, str] | None = None,
    workers: int | None = None,
) -> Iterator[LiveServer]:
    """A second server process on the same database as `server`, as another host of the city
    would run it (its own media directory unless `environment` says otherwise)."""
    environment = {
        **_settings_environment(directory, server.database_url),
        **(environment or {}),
    }
    with serve_process(environment, workers=workers) as base_url:
        yield LiveServer(base_url, server.database_url, server.accounts)


@contextmanager
def serve_process(environment: dict[str, str], *, workers: int | None = None) -> Iterator[str]:
    """uvicorn serving the app in its own process with these settings; yields its base URL.
    With `workers`, it is started as an operator would: ``warga serve --workers N``."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Links in answers (certificates' QR codes, download links) point at this very server.
    environment = {"WARGA_PUBLIC_URL": base_url, **environment}
    if workers is None:
        command = [
            sys.executable, "-m", "uvicorn", "backend.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-proxy-headers",  # as `warga serve`: the app decides whose headers to believe
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "backend.cli", "serve",
            "--port", str(port), "--workers", str(workers),
        ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, **environment})
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(base_url: str, process: subprocess.Popen) -> None:
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

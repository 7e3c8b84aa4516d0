"""Notification fixtures: a quick stream (short poll and heartbeat) and a real loopback server."""

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from backend.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The webhook worker's own poll (every 2 s by default) is database work too: kept out of
    # the way of the tests that count an idle stream's queries.
    return settings.model_copy(
        update={
            "notification_poll_seconds": 0.05,
            "notification_heartbeat_seconds": 0.3,
            "webhook_poll_seconds": 60,
        }
    )


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive(), "the server did not stop"

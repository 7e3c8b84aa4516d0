"""The live inbox (`mobile.core.live`) against the real server: an entry created after the
stream opened arrives, and after the connection drops the client resumes with Last-Event-ID
and receives what was created while it was away; an expired access token is refreshed."""

import asyncio
import time
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from jose import jwt

from backend.auth.tokens import ALGORITHM
from backend.config import Settings
from mobile.core.api import ApiClient
from mobile.core.live import EventParser, LiveInbox
from mobile.core.tokens import TokenStore
from tests.live_server import free_port
from tests.mobile.helpers import claim_and_verify, file_pothole

STREAM = "/api/v1/notifications/stream"


class Relay:
    """A TCP relay in front of the API server that the test can cut and restore, like a phone
    losing its network: cutting closes every open connection and refuses new ones."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def restore(self) -> None:
        self._server = await asyncio.start_server(
            self._relay, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, upstream_writer]
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def eventually(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s"
        await asyncio.sleep(0.05)


@pytest.fixture
async def officer(api_server, tmp_path):
    api = ApiClient(api_server.base_url, tokens=TokenStore(tmp_path / "officer"))
    account = api_server.account("officer", "dbmsda")
    await api.login(account.username, account.password)
    yield api
    await api.aclose()


def test_the_parser_reads_ids_events_and_multi_line_data_and_skips_comments():
    parser = EventParser()
    lines = ["retry: 3000", ": connected", "", "id: 7", "event: notification"]
    lines += ['data: {"a":', "data: 1}", ""]
    events = [event for line in lines if (event := parser.feed(line))]
    assert [(e.id, e.event, e.data) for e in events] == [("7", "notification", ['{"a":', "1}"])]


def test_an_entry_committed_late_does_not_move_the_resume_point_back():
    live = LiveInbox(api=None, backoff=(0.2,))  # no connection needed to receive entries
    received: list[dict] = []
    live.subscribe(received.append)
    for entry_id in (12, 11, 13):  # 11 was written first but committed after 12
        live._publish({"id": entry_id})
    assert [entry["id"] for entry in received] == [12, 11, 13]
    assert live.last_event_id == 13


async def test_entries_arrive_live_and_the_stream_resumes_after_a_drop(
    api_server, make_client, officer
):
    relay = Relay(api_server.base_url)
    await relay.restore()
    resident = make_client(relay.url)
    account = api_server.account("resident")
    await resident.login(account.username, account.password)
    live = LiveInbox(resident, backoff=(0.2,))
    received: list[dict] = []
    live.subscribe(received.append)
    live.start()
    try:
        await asyncio.wait_for(live.connected.wait(), 10)
        complaint = await file_pothole(resident)  # created after the stream opened
        mine = lambda kind: [  # noqa: E731
            e for e in received if e["subject_id"] == complaint["id"] and e["kind"] == kind
        ]
        await eventually(lambda: mine("complaint.filed"))
        [filed] = mine("complaint.filed")
        assert filed["subject_type"] == "complaint" and filed["read_at"] is None

        await relay.cut()
        await eventually(lambda: not live.connected.is_set())
        await claim_and_verify(officer, complaint["id"])  # while the resident is offline
        await asyncio.sleep(0.5)  # a reconnect attempt or two fails meanwhile
        assert not mine("complaint.verified")
        await relay.restore()

        await eventually(lambda: mine("complaint.verified"))
        streams = [r for r in resident.transport.requests if r.url.path == STREAM]
        assert streams[-1].headers["last-event-id"] == str(filed["id"])
        assert [e["id"] for e in received] == sorted({e["id"] for e in received})  # once each
    finally:
        live.stop()
        await relay.cut()


async def test_the_stream_refreshes_an_expired_access_token_through_the_token_store(
    api_server, make_client
):
    api = make_client(api_server.base_url)
    account = api_server.account("resident")
    session = await api.login(account.username, account.password)
    claims = jwt.get_unverified_claims(session.access_token)
    claims.update(iat=claims["iat"] - 3600, exp=claims["iat"] - 60)  # expired a minute ago
    expired = jwt.encode(claims, Settings(environment="test").secret_key, algorithm=ALGORITHM)
    api.tokens.save(replace(session, access_token=expired))

    async with api.stream("/notifications/stream") as response:
        assert response.status_code == 200
    assert api.tokens.session.access_token not in (expired, session.access_token)
    assert api.tokens.session.refresh_token != session.refresh_token  # rotated once

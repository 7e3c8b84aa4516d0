"""Live streams on the change channel: an idle stream does no database work, a new entry wakes
it, and it closes within 2 s when its session ends; the channel announces only committed
changes and, while it is down, streams poll and the microcache is bypassed."""

import threading
import time

import anyio
import httpx
import pytest
from jose import jwt
from sqlalchemy import event, text
from sqlmodel import Session

from backend import changes, microcache
from backend.auth.tokens import ALGORITHM
from backend.main import create_app
from tests.backend.helpers import login
from tests.backend.notifications.test_notifications_stream import (
    STREAM,
    EventReader,
    _add_entry,
    _user_id,
)

STREAM_ENDS_WITHIN_SECONDS = 2


class QueryCounter:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


async def _ends(reader: EventReader) -> bool:
    try:
        while True:
            await reader.next_block()
    except AssertionError:  # "the stream ended"
        return True


async def test_an_idle_stream_does_no_database_work(app, live_server, engine, demo):
    queries = QueryCounter(app.state.engine)
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                await reader.next_block()  # connected
                assert await reader.next_block() == [": keep-alive"]  # caught up, idle
                before = queries.count
                for _ in range(3):  # about a second: 20 polls' worth at the fixture's interval
                    assert await reader.next_block() == [": keep-alive"]
                assert queries.count == before
                with Session(engine) as session:
                    user_id = _user_id(session, demo.resident.username)
                new_id = await anyio.to_thread.run_sync(_add_entry, engine, user_id, "Bangun")
                assert (await reader.next_event())["id"] == new_id
    assert queries.count > before  # woken, it read


@pytest.mark.parametrize("ending", ["logout", "password change", "deactivation"])
async def test_a_stream_closes_soon_after_its_session_ends(live_server, demo, ending):
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        other_device = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                await reader.next_block()
            if ending == "logout":
                ended = await client.post("/api/v1/auth/logout", headers=headers)
            elif ending == "password change":
                ended = await client.post(
                    "/api/v1/me/password",
                    json={
                        "current_password": demo.resident.password,
                        "new_password": "Sandi-baru-yang-panjang-2026",
                    },
                    headers=other_device,  # this session stays; the stream's ends
                )
            else:
                admin = await login(client, demo.admin.username, demo.admin.password)
                me = await client.get("/api/v1/me", headers=headers)
                ended = await client.post(
                    f"/api/v1/admin/users/{me.json()['id']}/deactivate", headers=admin
                )
            assert ended.status_code in (200, 204), ended.text
            started = time.monotonic()
            with anyio.fail_after(STREAM_ENDS_WITHIN_SECONDS):
                assert await _ends(reader)
    assert time.monotonic() - started < STREAM_ENDS_WITHIN_SECONDS


async def test_a_stream_closes_when_its_access_token_expires(live_server, demo, settings):
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        # The same token as the server issued it, but with two seconds left to live.
        claims = jwt.get_unverified_claims(headers["Authorization"].removeprefix("Bearer "))
        claims["exp"] = int(time.time()) + 2
        short_lived = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
        async with client.stream(
            "GET", STREAM, headers={"Authorization": f"Bearer {short_lived}"}
        ) as response:
            assert response.status_code == 200
            reader = EventReader(response)
            with anyio.fail_after(2 + STREAM_ENDS_WITHIN_SECONDS):
                assert await _ends(reader)


async def test_a_stream_leaves_its_request_slot_to_others(settings, demo):
    """One slot only: an open stream does not keep other requests out."""
    app = create_app(settings.model_copy(update={"max_concurrent_requests": 1}))
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await anyio.sleep(0.01)
    base_url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            headers = await login(client, demo.resident.username, demo.resident.password)
            async with client.stream("GET", STREAM, headers=headers) as response:
                await EventReader(response).next_block()
                assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()


# --- the channel itself ---


def _received(channel: changes.ChangeChannel, topic: str) -> tuple[list, threading.Event]:
    got: list = []
    arrived = threading.Event()

    def on_message(payload, origin) -> None:
        got.append((payload, origin))
        arrived.set()

    channel.subscribe(topic, on_message)
    return got, arrived


def test_only_committed_changes_are_announced(engine, database_url):
    channel = changes.channel_for(database_url)
    topic = f"test:{time.monotonic_ns()}"
    got, arrived = _received(channel, topic)
    assert channel.healthy

    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        changes.publish(session, topic, {"n": 1})
        session.rollback()
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        changes.publish(session, topic, {"n": 2})
        assert not arrived.wait(0.3)  # nothing before the commit
        session.commit()
    assert arrived.wait(2)
    time.sleep(0.2)  # the rolled-back one would have come first anyway
    assert got == [({"n": 2}, changes.ORIGIN)]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_when_the_listener_drops_streams_poll_and_the_cache_is_bypassed(
    app, live_server, engine, demo
):
    channel = changes.channel_for(app.state.settings.database_url)
    cache = microcache.for_engine(app.state.engine)
    assert channel.healthy and cache.usable
    health = []
    channel.on_health_change(health.append)
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                await reader.next_block()
            with engine.begin() as connection:  # what a database restart or network cut does
                connection.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": channel.backend_pid}
                )
            with anyio.fail_after(5):
                while False not in health:
                    await anyio.sleep(0.01)
            # Down: another process's entry arrives by polling, and the cache keeps nothing.
            assert not cache.usable
            cache.put("key", "value", tables=["complaint"], generation=cache.generation)
            assert cache.get("key") is None
            with Session(engine) as session:
                user_id = _user_id(session, demo.resident.username)
            with anyio.fail_after(5):
                new_id = await anyio.to_thread.run_sync(_add_entry, engine, user_id, "Lewat")
                assert (await reader.next_event())["id"] == new_id
                while not channel.healthy:  # and it comes back by itself
                    await anyio.sleep(0.05)
    assert health[-1] is True
    assert cache.usable


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_channel_listens_where_it_is_told(engine, database_url):
    """Behind PgBouncer in transaction mode, LISTEN goes to PostgreSQL by a URL of its own."""
    through_pgbouncer = "postgresql+psycopg://warga@127.0.0.1:1/no-such-pool"  # never dialled
    channel = changes.ChangeChannel(through_pgbouncer, listen_url=database_url)
    got, arrived = _received(channel, "test:listen-url")
    try:
        assert channel.healthy
        with engine.begin() as connection:
            connection.execute(
                text("SELECT pg_notify(:channel, :message)"),
                {"channel": changes.PG_CHANNEL, "message": changes.encode("test:listen-url", 7)},
            )
        assert arrived.wait(2)
        assert got == [(7, changes.ORIGIN)]
    finally:
        channel.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_transaction_with_more_scopes_than_a_notice_holds_is_announced_by_tables(
    engine, database_url
):
    """A notice to every officer of a large agency names too many inboxes for one NOTIFY: the
    commit still goes through, and the other processes drop the whole table's answers."""
    channel = changes.channel_for(database_url)
    microcache.for_engine(engine)  # follows the tables other processes write
    got, arrived = _received(channel, microcache.TABLES_TOPIC)
    owners = [microcache.scope_tag("notification", "user_id", n) for n in range(1_000)]
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        microcache.note_written(session, ["notification", *owners])
        session.commit()
    assert arrived.wait(2)
    [(tables, _origin)] = got
    assert tables == ["notification", microcache.unscoped_tag("notification")]

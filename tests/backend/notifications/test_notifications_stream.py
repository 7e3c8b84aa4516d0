"""The live stream (Server-Sent Events) over a real loopback server: new entries, resuming."""

import json

import anyio
import httpx
import pytest
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.notifications.router import LATE_COMMIT_SECONDS, _Sent
from backend.notifications.service import Message, notify
from tests.backend.helpers import login

STREAM = "/api/v1/notifications/stream"


def _user_id(session: Session, username: str) -> int:
    return session.exec(select(User.id).where(User.email == username)).one()


def _add_entry(engine, user_id: int, title: str) -> int:
    with Session(engine) as session:
        [entry] = notify(
            session,
            user_ids=[user_id],
            kind="complaint.verified",
            message=Message(title_id=title, title_en=f"{title} (en)"),
            subject_type="complaint",
            subject_id=7,
        )
        session.commit()
        return entry.id


class EventReader:
    """Reads a text/event-stream line by line into events and comments."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next_block(self) -> list[str]:
        block = []
        async for line in self.lines:
            if line == "":
                if block:
                    return block
                continue
            block.append(line)
        raise AssertionError("the stream ended")

    async def next_event(self) -> dict:
        while True:
            block = await self.next_block()
            fields = dict(line.split(": ", 1) for line in block if not line.startswith(":"))
            if "data" in fields:
                return {
                    "id": int(fields["id"]),
                    "event": fields["event"],
                    **json.loads(fields["data"]),
                }


async def test_stream_delivers_an_entry_created_after_connecting(live_server, engine, demo):
    with Session(engine) as session:
        user_id = _user_id(session, demo.resident.username)
    _add_entry(engine, user_id, "Sebelumnya")  # exists before: not sent without Last-Event-ID

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(response)
            with anyio.fail_after(5):
                assert "retry: 3000" in await reader.next_block()  # the stream is open
                new_id = await anyio.to_thread.run_sync(_add_entry, engine, user_id, "Baru")
                event = await reader.next_event()
    assert event["id"] == new_id
    assert event["event"] == "notification"
    assert event["title"] == "Baru"
    assert event["kind"] == "complaint.verified"


async def test_stream_resumes_after_last_event_id_and_speaks_english(live_server, engine, demo):
    with Session(engine) as session:
        user_id = _user_id(session, demo.resident.username)
        other_id = _user_id(session, demo.other_resident.username)
    first, second, third = (_add_entry(engine, user_id, f"Kabar {n}") for n in (1, 2, 3))
    _add_entry(engine, other_id, "Bukan untukmu")  # someone else's: never in this stream

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        headers |= {"Last-Event-ID": str(first), "Accept-Language": "en"}
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                missed = [await reader.next_event(), await reader.next_event()]
                fourth = await anyio.to_thread.run_sync(_add_entry, engine, user_id, "Kabar 4")
                live = await reader.next_event()
    assert [(e["id"], e["title"]) for e in missed] == [
        (second, "Kabar 2 (en)"),
        (third, "Kabar 3 (en)"),
    ]
    assert (live["id"], live["title"]) == (fourth, "Kabar 4 (en)")


async def test_idle_stream_sends_heartbeats(live_server, demo):
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                await reader.next_block()
                assert await reader.next_block() == [": keep-alive"]


async def test_stream_needs_a_login(client):
    response = await client.get(STREAM)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_long_backlog_arrives_whole_and_in_order(live_server, engine, demo):
    with Session(engine) as session:
        user_id = _user_id(session, demo.resident.username)
        message = Message(title_id="Izin terbit", title_en="Permit issued")
        expected = [  # more than two batches of the stream
            notify(session, user_ids=[user_id], kind="permit.issued", message=message)[0].id
            for _ in range(250)
        ]
        session.commit()

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        headers["Last-Event-ID"] = "0"
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with anyio.fail_after(5):
                received = [(await reader.next_event())["id"] for _ in expected]
    assert received == expected


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_entry_committed_after_a_newer_one_still_arrives(live_server, engine, demo):
    # PostgreSQL hands out ids as entries are written: the first written may commit last.
    with Session(engine) as session:
        user_id = _user_id(session, demo.resident.username)

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        headers = await login(client, demo.resident.username, demo.resident.password)
        async with client.stream("GET", STREAM, headers=headers) as response:
            reader = EventReader(response)
            with Session(engine) as slow, anyio.fail_after(5):
                await reader.next_block()  # the stream is open
                message = Message(title_id="Lebih dulu", title_en="Earlier")
                [earlier] = notify(slow, user_ids=[user_id], kind="permit.issued", message=message)
                later = await anyio.to_thread.run_sync(_add_entry, engine, user_id, "Kemudian")
                first = await reader.next_event()
                await anyio.to_thread.run_sync(slow.commit)
                second = await reader.next_event()
    assert earlier.id < later
    assert [first["id"], second["id"]] == [later, earlier.id]


def test_what_a_stream_sent_settles_once_no_earlier_entry_can_still_appear():
    sent = _Sent(after_id=10)
    sent.record(12, now=0.0)
    sent.record(11, now=5.0)  # committed late, below 12
    sent.settle(now=LATE_COMMIT_SECONDS - 1)
    assert (sent.settled, set(sent.recent)) == (10, {11, 12})
    sent.settle(now=LATE_COMMIT_SECONDS)  # nothing below 12 can appear any more
    assert (sent.settled, sent.recent) == (12, {})

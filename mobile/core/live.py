"""The live inbox: new notification entries pushed by the server (Server-Sent Events).

`LiveInbox` keeps one streaming GET of `/notifications/stream` open in an asyncio task and hands
every entry to its observers. When the connection drops (or the server ends it because the
access token is about to expire) it connects again, after a growing pause if the server could
not be reached, and sends `Last-Event-ID` so the server first replays what was missed. An
expired access token is refreshed through the client's token store. No Kivy here: observers
that touch widgets must move to the UI loop themselves.
"""

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mobile.core.api import ApiClient, ApiError, Offline

STREAM_PATH = "/notifications/stream"
BACKOFF_SECONDS = (1, 2, 5, 10, 30)  # pauses between failed attempts; the last one repeats

logger = logging.getLogger("warga.live")

Observer = Callable[[dict[str, Any]], None]


@dataclass
class ServerSentEvent:
    id: str | None = None
    event: str = "message"
    data: list[str] = field(default_factory=list)


class EventParser:
    """Turns the stream's lines into events (the parts of the SSE format the server uses)."""

    def __init__(self) -> None:
        self._event = ServerSentEvent()

    def feed(self, line: str) -> ServerSentEvent | None:
        """Take one line; return the event it completes, if any."""
        if not line:  # a blank line ends an event
            event, self._event = self._event, ServerSentEvent()
            return event if event.data else None
        if line.startswith(":"):  # a comment: "connected", "keep-alive"
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            self._event.id = value
        elif name == "event":
            self._event.event = value
        elif name == "data":
            self._event.data.append(value)
        return None


class LiveInbox:
    def __init__(self, api: ApiClient, *, backoff: Sequence[float] = BACKOFF_SECONDS) -> None:
        self.api = api
        self.backoff = tuple(backoff)
        self.last_event_id: int | None = None  # the newest entry received (or seen at start)
        self.connected = asyncio.Event()  # set while a stream is open
        self._observers: list[Observer] = []
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_event_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.connected.clear()

    async def _run(self) -> None:
        import httpx  # on first use, like the client (see `ApiClient._http`)

        failures = 0  # attempts in a row that did not get a stream open
        while True:
            try:
                if self.last_event_id is None:
                    self.last_event_id = await self._newest_id()
                await self._listen()
                failures = 0  # the server ended the stream: connect again at once
            except ApiError as error:
                if error.status in (401, 403):
                    logger.info("live inbox stopped: %s", error)
                    return  # signed out or refused: only a new login helps
                failures = 1 if self.connected.is_set() else failures + 1
            except (Offline, httpx.TransportError) as error:
                logger.info("live inbox disconnected: %s", error)
                failures = 1 if self.connected.is_set() else failures + 1
            finally:
                self.connected.clear()
            if failures:
                await asyncio.sleep(self.backoff[min(failures, len(self.backoff)) - 1])

    async def _newest_id(self) -> int:
        """Start after the newest entry there is, so nothing created from now on is missed."""
        page = await self.api.notifications()
        return page.data["items"][0]["id"] if page.data["items"] else 0

    async def _listen(self) -> None:
        headers = {"Last-Event-ID": str(self.last_event_id)}
        async with self.api.stream(STREAM_PATH, headers=headers) as response:
            self.connected.set()
            parser = EventParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None and event.event == "notification":
                    self._publish(json.loads("\n".join(event.data)))

    def _publish(self, entry: dict[str, Any]) -> None:
        # An entry committed late comes after newer ones: resume after the newest, not the last.
        self.last_event_id = max(self.last_event_id or 0, entry["id"])
        for observer in list(self._observers):
            observer(entry)

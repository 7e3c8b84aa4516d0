"""Back-pressure: a process works on a bounded number of requests and turns the rest away fast.

Each request takes a slot before it reaches a route. When every slot is taken, it waits up to
``request_queue_seconds`` for one; if none frees up, it is answered at once with 503
``server_busy`` and ``Retry-After``. With the default (as many slots as the process has database
connections) a request that got in also finds a connection, so a burst yields quick, honest
503s instead of requests piling up in the thread pool until the pool's wait ends in errors.

A live stream (``text/event-stream``) gives its slot back as soon as its response starts: it holds
no database connection while it waits for events. ``/healthz`` never waits: a busy process is
still alive.
"""

import asyncio
from collections import deque

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import busy_response

EXEMPT_PATHS = frozenset({"/healthz"})


class Slots:
    """A process's request slots, handed out first come, first served.

    Not `asyncio.Semaphore`: its `locked()` walks every waiter, and it is asked on every
    acquire, so under a burst (hundreds waiting) each request costs time in proportion to the
    queue. Here taking, waiting and giving back cost the same however many wait: a slot given
    back goes straight to the longest waiter.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[bool]] = deque()

    async def take(self, wait_seconds: float) -> bool:
        """A slot, now or within `wait_seconds`; False if none came free in time."""
        if self._free:  # only ever while nobody waits: a slot given back goes to a waiter
            self._free -= 1
            return True
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(turn)
        # Cheaper than `asyncio.timeout`: one timer handle, no cancellation to unwind.
        expiry = loop.call_later(wait_seconds, _settle, turn, False)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.result():
                self.give_back()  # handed a slot just as the request was cancelled
            raise
        finally:
            expiry.cancel()

    def give_back(self) -> None:
        while self._waiters:
            if _settle(self._waiters.popleft(), True):
                return
        self._free += 1


def _settle(turn: asyncio.Future[bool], outcome: bool) -> bool:
    """End a wait with `outcome`; False if it had already ended (timed out, cancelled)."""
    if turn.done():
        return False
    turn.set_result(outcome)
    return True


class RequestSlots:
    def __init__(self, app: ASGIApp, *, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = Slots(slots)
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        slots = self.slots
        if not await slots.take(self.wait_seconds):
            await busy_response(Request(scope))(scope, receive, send)
            return

        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                slots.give_back()

        async def send_and_free_streams(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_event_stream(message):
                give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_and_free_streams)
        finally:
            give_back()


def _is_event_stream(message: Message) -> bool:
    for name, value in message.get("headers", ()):
        if name.lower() == b"content-type":
            return value.startswith(b"text/event-stream")
    return False

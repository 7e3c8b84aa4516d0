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

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import busy_response

EXEMPT_PATHS = frozenset({"/healthz"})


class RequestSlots:
    def __init__(self, app: ASGIApp, *, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._free: asyncio.Semaphore | None = None  # made on the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self._free is None:
            self._free = asyncio.Semaphore(self.slots)
        free = self._free
        if not await _acquire(free, self.wait_seconds):
            await busy_response(Request(scope))(scope, receive, send)
            return

        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                free.release()

        async def send_and_free_streams(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_event_stream(message):
                give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_and_free_streams)
        finally:
            give_back()


async def _acquire(semaphore: asyncio.Semaphore, wait_seconds: float) -> bool:
    if not semaphore.locked():
        await semaphore.acquire()  # free now: returns without suspending
        return True
    try:
        async with asyncio.timeout(wait_seconds):
            await semaphore.acquire()
    except TimeoutError:
        return False
    return True


def _is_event_stream(message: Message) -> bool:
    for name, value in message.get("headers", ()):
        if name.lower() == b"content-type":
            return value.startswith(b"text/event-stream")
    return False

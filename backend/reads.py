"""Hot reads without a thread-pool hop.

A thread-pool hop (handing a sync function to a worker thread and waking the event loop with
its result) costs more CPU than a whole indexed read: measured in-process on the benchmark's
machine, a sync ``/healthz`` cost about ten times the async public feed. The reads that answer
most requests (``/me``, a resident's complaints, an officer's queue, a complaint's detail, the
inbox) therefore run their database work through `Reads.run`, with the same sync query code as
everything else:

* on SQLite, right on the event loop through the sync engine: SQLite is a library call in this
  process, on the same core, so a thread would add the hop and gain nothing;
* on PostgreSQL, inside SQLAlchemy's ``AsyncSession.run_sync`` over psycopg's async driver: the
  sync code runs in a greenlet and each round trip awaits on the loop instead of blocking it.

Only reads come here. Writes keep the request's sync session and its one thread hop: SQLite's
writer lock is a thread lock that the event loop must never wait on.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Session

T = TypeVar("T")


class Reads:
    """One request's read-only database work."""

    def __init__(self, request: Request) -> None:
        read_engine = request.app.state.read_engine
        self._async = (
            AsyncSession(read_engine, sync_session_class=Session)
            if read_engine is not None
            else None
        )
        self._sync = None if read_engine is not None else Session(request.app.state.engine)

    async def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)`: all of a read's queries and the shaping of its answer, in one go."""
        if self._async is None:
            return work(self._sync)
        try:
            return await self._async.run_sync(work)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # The server restarted or dropped the connection (the pool lets go of the others
            # from before too): a read is safe to run again, on a fresh connection.
            await self._async.close()
            return await self._async.run_sync(work)

    async def close(self) -> None:
        if self._async is not None:
            await self._async.close()
        else:
            self._sync.close()


async def get_reads(request: Request) -> AsyncIterator[Reads]:
    reads = Reads(request)
    try:
        yield reads
    finally:
        await reads.close()


ReadsDep = Annotated[Reads, Depends(get_reads)]

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

from collections.abc import Callable
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

T = TypeVar("T")


class Reads:
    """One request's read-only database work."""

    def __init__(self, request: Request) -> None:
        read_engine = request.app.state.read_engine
        self._async: AsyncSession | None = None
        self._sync: Session | None = None
        if read_engine is not None:
            self._async = AsyncSession(read_engine, sync_session_class=Session)
        else:
            self._sync = Session(request.app.state.engine)

    async def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)`: all of a read's queries and the shaping of its answer, in one go.

        The connection goes back to the pool as soon as `work` returns (objects it loaded stay
        readable, detached): held across the awaits of other requests, a few dozen requests
        in flight would empty the pool, and on SQLite the next checkout would block the loop.
        """
        if self._sync is not None:
            if self._sync.get_bind().dialect.name != "sqlite":
                # PostgreSQL with too few connections for a read pool: one hop instead.
                return await run_in_threadpool(_run_and_close, self._sync, work)
            return _run_and_close(self._sync, work)
        assert self._async is not None
        # Its sync session is a SQLModel `Session` (`sync_session_class` above).
        in_greenlet = cast(Callable[[OrmSession], T], work)
        try:
            return await self._async.run_sync(in_greenlet)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # The server restarted or dropped the connection (the pool lets go of the others
            # from before too): a read is safe to run again, on a fresh connection.
            await self._async.close()
            return await self._async.run_sync(in_greenlet)
        finally:
            await self._async.close()


def _run_and_close(session: Session, work: Callable[[Session], T]) -> T:
    try:
        return work(session)
    finally:
        session.close()


async def get_reads(request: Request) -> Reads:
    # No teardown: each `run` gives its connection back before returning.
    return Reads(request)


ReadsDep = Annotated[Reads, Depends(get_reads)]

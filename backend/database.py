"""The composition root of the database: every engine comes from `open_engine`.

The server, the CLI, the scheduled jobs, the benchmarks and the tests open their engine here,
and opening one registers every session hook the application's rules depend on, in the order
they depend on each other:

1. the Life Room's tallies follow every complaint write (``backend.stats.tallies``), and say
   which tally tables they wrote; webhook messages are written with every change worth telling
   integrators about (``backend.webhooks.outbox``);
2. cached callers are dropped when a user's sessions or row change (``backend.auth.caller_cache``);
3. microcache entries are dropped when a table they were built from is written
   (``backend.microcache``);
4. the change channel sends what the transaction announced with its commit (``backend.changes``),
   which carries 2 and 3 to the other workers and hosts.

So no module needs importing for its side effect, and a script that writes complaints through
an engine from here cannot skew the Life Room. The hooks are SQLAlchemy session events: once
registered they hold for every session of the process.
"""

import threading

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import changes, microcache
from backend.auth import caller_cache
from backend.db import EngineOptions, make_engine, make_read_engine
from backend.stats import tallies
from backend.webhooks import outbox

_lock = threading.Lock()


def install_session_hooks() -> None:
    """Register every session hook (each once, however often this is called)."""
    with _lock:
        tallies.install()
        outbox.install()
        caller_cache.install()
        microcache.install()
        changes.install()


def open_engine(
    database_url: str, *, echo: bool = False, options: EngineOptions | None = None
) -> Engine:
    """The engine for `database_url`, with every session hook in place."""
    install_session_hooks()
    return make_engine(database_url, echo=echo, options=options)


def open_engines(
    database_url: str, *, options: EngineOptions | None = None
) -> tuple[Engine, AsyncEngine | None]:
    """The server's engines: the one every write and most reads use, and on PostgreSQL the
    async one for hot reads (``backend.reads``). The two share `options`' connections."""
    options = options or EngineOptions()
    pools = (
        None
        if make_url(database_url).get_backend_name() == "sqlite"
        else options.shared_with_reads()
    )
    if pools is None:
        return open_engine(database_url, options=options), None
    writes, reads = pools
    return open_engine(database_url, options=writes), make_read_engine(database_url, options=reads)

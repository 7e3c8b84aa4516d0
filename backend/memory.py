"""Fewer malloc arenas, so a threaded server's memory is not half-empty arenas.

glibc gives threads that allocate arenas of their own (up to eight per core), and memory freed
in one arena is not reused by another. Requests run in a pool of threads, so the server's
resident memory grew by tens of megabytes of such arenas (bench.complaints: 248 MB peak on
SQLite, 235 MB with two arenas, at the same throughput). This does what ``MALLOC_ARENA_MAX=2``
would, from inside: `make run` and `warga serve` start the process themselves.
"""

import ctypes
import os
from functools import cache

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number


@cache  # once per process: every app a process builds shares its allocator
def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas for the threads started from now on. False where there is no glibc,
    or where the operator chose a cap of their own (``MALLOC_ARENA_MAX``)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))

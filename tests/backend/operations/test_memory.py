"""The server caps glibc's malloc arenas (`backend.memory`): threads that allocate share two
arenas instead of getting one each."""

import subprocess
import sys

import pytest

# Builds the app, lets eight threads allocate at once, and prints how many heaps (arenas) glibc
# reports through malloc_info().
PROBE = """
import ctypes, ctypes.util, tempfile, threading
from backend.main import create_app

create_app()
release = threading.Event()

def allocate():
    blocks = [bytearray(200_000) for _ in range(50)]
    release.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
report = tempfile.NamedTemporaryFile(suffix=".xml")
stream = ctypes.c_void_p(libc.fopen(report.name.encode(), b"w"))
libc.malloc_info(0, stream)
libc.fclose(stream)
release.set()
for thread in threads:
    thread.join()
print(open(report.name).read().count("<heap nr="))
"""


def _heaps(settings, **environment: str) -> int:
    env = {"WARGA_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", **environment}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return int(probe.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the engine plays no part
def test_threads_share_two_arenas(settings):
    assert _heaps(settings) <= 2
    # An operator's own cap wins; with a generous one, each thread gets its arena again.
    assert _heaps(settings, MALLOC_ARENA_MAX="16") > 2

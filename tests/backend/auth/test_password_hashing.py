"""Argon2 runs with bounded concurrency: a flood of sign-ups queues instead of taking
`argon2_memory_kib` per request until the server runs out of memory."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.accounts.passwords import PasswordHashing
from backend.config import Settings

# Heavy enough that each run lasts a few milliseconds and the runs overlap.
COSTLY = {"argon2_time_cost": 2, "argon2_memory_kib": 8 * 1024}


class OverlapMeter:
    """Stands around the real Argon2 hasher of a `PasswordHashing` and records how many of its
    runs were under way at the same moment (every run still goes to the real hasher)."""

    def __init__(self, hashing: PasswordHashing) -> None:
        self._lock = threading.Lock()
        self._hasher = hashing._hasher
        self.running = self.most = 0
        hashing._hasher = self

    def _measured(self, run, *args):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return run(*args)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str) -> str:
        return self._measured(self._hasher.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._measured(self._hasher.verify, password_hash, password)


def flood(hashing: PasswordHashing, requests: int = 16) -> None:
    def sign_up_then_log_in(number: int) -> None:
        stored = hashing.hash(f"kata-sandi-{number}")
        assert hashing.verify(stored, f"kata-sandi-{number}")
        assert not hashing.verify(None, "unknown account")

    with ThreadPoolExecutor(max_workers=requests) as pool:
        list(pool.map(sign_up_then_log_in, range(requests)))


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_no_more_hashes_run_at_once_than_the_setting_allows(concurrency):
    hashing = PasswordHashing(Settings(**COSTLY, password_hashing_concurrency=concurrency))
    meter = OverlapMeter(hashing)
    flood(hashing)
    assert meter.most == concurrency


def test_the_meter_sees_overlap_when_the_bound_is_wide():
    # The measurement itself can fail: with room for all, the flood's runs do overlap.
    hashing = PasswordHashing(Settings(**COSTLY, password_hashing_concurrency=16))
    meter = OverlapMeter(hashing)
    flood(hashing)
    assert meter.most > 3

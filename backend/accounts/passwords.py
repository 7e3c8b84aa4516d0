"""Password hashing (Argon2id) and the password policy."""

import threading
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.config import Settings

MIN_LENGTH = 8
MAX_LENGTH = 128


class PasswordHashing:
    """Hashes and verifies passwords; verifying for an unknown account costs the same.

    Each Argon2 run takes `argon2_memory_kib` of memory, so at most
    `password_hashing_concurrency` run at once in this process; further sign-ups and logins
    wait their turn (in the request's worker thread) instead of exhausting the server's memory.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=1,
        )
        self._turns = threading.BoundedSemaphore(settings.password_hashing_concurrency)
        # Verified against when the account does not exist, so both paths do one Argon2 run.
        self._decoy_hash = self._hasher.hash("decoy password that never matches")

    def hash(self, password: str) -> str:
        with self._turns:
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            with self._turns:
                matches = self._hasher.verify(password_hash or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and bool(password_hash)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


@lru_cache
def _common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, personal: list[str | None]) -> tuple[str, str, str] | None:
    """Why a password is refused, as (code, Indonesian, English), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return (
            "weak_password",
            f"Kata sandi minimal {MIN_LENGTH} karakter.",
            f"The password must have at least {MIN_LENGTH} characters.",
        )
    if len(password) > MAX_LENGTH:
        return (
            "weak_password",
            f"Kata sandi paling banyak {MAX_LENGTH} karakter.",
            f"The password must have at most {MAX_LENGTH} characters.",
        )
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return (
            "common_password",
            "Kata sandi ini terlalu umum dan mudah ditebak.",
            "This password is too common and easy to guess.",
        )
    for value in personal:
        if value and len(value) >= 4 and value.lower() in lowered:
            return (
                "weak_password",
                "Kata sandi tidak boleh memuat nama, email, atau nomor telepon Anda.",
                "The password must not contain your name, email or phone number.",
            )
    return None

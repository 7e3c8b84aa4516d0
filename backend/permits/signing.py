"""The city's signing keys: compact JWS on certificates, and the JWKS that verifies them offline.

ES256 (ECDSA on P-256): the private key stays with the city, anyone can check a signature with
the public key published at `/.well-known/jwks.json`. In development and tests the key is made on
first use and kept under var/; production must be given one (WARGA_SIGNING_KEY_FILE), since a key
made up by a fresh server would silently invalidate every certificate already printed.

Rotation (``warga keys rotate``) makes a new current key and moves the old one's public half to
the retired-keys file (a JWKS next to the key, ``WARGA_RETIRED_SIGNING_KEYS_FILE``). New
certificates are signed with the current key; the JWKS publishes it and every retired key, each
with its ``kid``, so a certificate printed years ago still verifies offline. Every host reads
the same two files (copied by the deployment, or on a shared mount) and notices a change by
the files' modification time, without a restart.
"""

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws

from backend.config import Settings
from backend.errors import Unavailable

ALGORITHM = "ES256"

logger = logging.getLogger("warga.permits.signing")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class CityKey:
    private_pem: str = field(repr=False)
    public_jwk: dict[str, str]
    # Public keys of earlier (rotated) keys: still published, never used to sign.
    retired_jwks: tuple[dict[str, str], ...] = ()

    @property
    def kid(self) -> str:
        return self.public_jwk["kid"]

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of `claims` (JSON, keys sorted so equal claims sign equal bytes)."""
        payload = json.dumps(claims, sort_keys=True, separators=(",", ":"))
        return jws.sign(
            payload.encode(), self.private_pem, headers={"kid": self.kid}, algorithm=ALGORITHM
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        retired = [key for key in self.retired_jwks if key["kid"] != self.kid]
        return {"keys": [self.public_jwk, *retired]}


def _public_jwk(private_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = private_key.public_key().public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    # RFC 7638 thumbprint: the SHA-256 of the required members, sorted, without whitespace.
    thumbprint = hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest()
    return {**members, "kid": _b64url(thumbprint), "alg": ALGORITHM, "use": "sig"}


def _new_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create_key_file(path: Path) -> None:
    pem = _new_private_pem()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two workers start at once, one creates the key and both then read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    logger.warning("created a new certificate signing key at %s", path)


def _replace_file(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` at once: readers see the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def _read_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != (
        "secp256r1"
    ):
        raise ValueError(f"{path} must hold an EC P-256 private key for {ALGORITHM}")
    return private_key


def _read_retired(path: Path) -> tuple[dict[str, str], ...]:
    if not path.exists():
        return ()
    keys = json.loads(path.read_text())["keys"]
    return tuple(key for key in keys if {"kid", "x", "y"} <= set(key) and "d" not in key)


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@lru_cache(maxsize=8)
def _load(path: Path, retired_path: Path, may_create: bool, _versions: tuple[int, int]) -> CityKey:
    if not path.exists():
        if not may_create:
            logger.error("WARGA_SIGNING_KEY_FILE %s does not exist", path)
            raise Unavailable("The city's certificate signing key is not configured.")
        _create_key_file(path)
    private_key = _read_private_key(path)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_jwk = _public_jwk(private_key)
    return CityKey(private_pem=pem, public_jwk=public_jwk, retired_jwks=_read_retired(retired_path))


def retired_keys_file(settings: Settings) -> Path:
    return settings.retired_signing_keys_file or settings.signing_key_file.with_name(
        settings.signing_key_file.stem + ".retired.jwks.json"
    )


def city_key(settings: Settings) -> CityKey:
    """The current key, with the retired public keys; re-read when either file changes."""
    path, retired = settings.signing_key_file, retired_keys_file(settings)
    versions = (_modified(path), _modified(retired))
    return _load(path, retired, settings.environment != "production", versions)


def rotate(settings: Settings) -> tuple[str | None, str]:
    """Make a new current key; the old one's public key joins the retired ones (written first,
    so it is never lost). Returns (old kid or None, new kid)."""
    path, retired_path = settings.signing_key_file, retired_keys_file(settings)
    retired = list(_read_retired(retired_path))
    old_kid = None
    if path.exists():
        old = _public_jwk(_read_private_key(path))
        old_kid = old["kid"]
        if all(key["kid"] != old_kid for key in retired):
            retired.insert(0, old)
        retired_path.parent.mkdir(parents=True, exist_ok=True)
        _replace_file(retired_path, json.dumps({"keys": retired}, indent=2).encode(), 0o644)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = _new_private_pem()
    _replace_file(path, pem, 0o600)
    new_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(new_key, ec.EllipticCurvePrivateKey)  # as _new_private_pem makes it
    new_kid = _public_jwk(new_key)["kid"]
    logger.warning("rotated the certificate signing key: %s -> %s", old_kid, new_kid)
    return old_kid, new_kid

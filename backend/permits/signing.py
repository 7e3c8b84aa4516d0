"""The city's signing key: compact JWS on certificates, and the JWKS that verifies them offline.

ES256 (ECDSA on P-256): the private key stays with the city, anyone can check a signature with
the public key published at `/.well-known/jwks.json`. In development and tests the key is made on
first use and kept under var/; production must be given one (WARGA_SIGNING_KEY_FILE), since a key
made up by a fresh server would silently invalidate every certificate already printed.
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
        return {"keys": [self.public_jwk]}


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


def _create_key_file(path: Path) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two workers start at once, one creates the key and both then read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    logger.warning("created a new certificate signing key at %s", path)


@lru_cache(maxsize=4)
def _load(path: Path, may_create: bool) -> CityKey:
    if not path.exists():
        if not may_create:
            logger.error("WARGA_SIGNING_KEY_FILE %s does not exist", path)
            raise Unavailable("The city's certificate signing key is not configured.")
        _create_key_file(path)
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != (
        "secp256r1"
    ):
        raise ValueError(f"{path} must hold an EC P-256 private key for {ALGORITHM}")
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return CityKey(private_pem=pem, public_jwk=_public_jwk(private_key))


def city_key(settings: Settings) -> CityKey:
    return _load(settings.signing_key_file, settings.environment != "production")

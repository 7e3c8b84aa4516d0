"""Standard Webhooks signatures and the endpoints' secrets, encrypted at rest."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A `whsec_` secret: 24 random bytes, base64 (what the standardwebhooks libraries expect)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of "id.timestamp.body" keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _fernet(app_secret_key: str) -> Fernet:
    key = hashlib.sha256(b"warga webhook secrets\0" + app_secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, *, app_secret_key: str) -> str:
    return _fernet(app_secret_key).encrypt(secret.encode()).decode()


def decrypt(token: str, *, app_secret_key: str) -> str:
    return _fernet(app_secret_key).decrypt(token.encode()).decode()

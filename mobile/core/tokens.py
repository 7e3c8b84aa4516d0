"""The signed-in session: tokens persisted in the app's data directory, refreshed at most once.

When several requests find the access token expired at the same moment, only the first one asks
the server for a new pair; the others wait for it and reuse the result. That matters because the
server rotates refresh tokens and treats a reused one as theft, revoking the whole session.
"""

import asyncio
import base64
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    role: str
    agency_code: str | None = None

    @property
    def account(self) -> str:
        """The signed-in account's id, the access token's `sub`: what the device keeps per
        account (the outbox) is labelled with it. Read without checking the signature, which
        is the server's job; the device only needs to tell its own accounts apart."""
        payload = self.access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])

    @classmethod
    def from_token_response(cls, body: dict[str, Any]) -> "Session":
        return cls(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            role=body["role"],
            agency_code=body.get("agency_code"),
        )


Refresher = Callable[[str], Awaitable[Session]]


class TokenStore:
    """Holds the current `Session` and keeps it in `<data dir>/session.json` across restarts."""

    def __init__(self, directory: Path) -> None:
        self._path = Path(directory) / "session.json"
        self._lock = asyncio.Lock()
        self.session: Session | None = None
        if self._path.exists():
            try:
                self.session = Session(**json.loads(self._path.read_text()))
            except (ValueError, TypeError):
                self._path.unlink()  # an unreadable file only means "signed out"

    def save(self, session: Session) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        # Owner-only: the refresh token is as good as the password until it is rotated.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(asdict(session), file)
        temporary.replace(self._path)
        self.session = session

    def clear(self) -> None:
        self.session = None
        self._path.unlink(missing_ok=True)

    async def refresh(self, expired_access_token: str, refresher: Refresher) -> Session:
        """Replace the session whose access token was `expired_access_token`, once.

        A caller that arrives after another caller already refreshed gets the new session
        without a second round trip. If the refresh fails, the error propagates to every waiter.
        A session signed out (and perhaps another signed in) while its refresh was on its way is
        not brought back: the refreshed pair is dropped.
        """
        async with self._lock:
            current = self.session
            if current is None:
                raise LookupError("not signed in")
            if current.access_token != expired_access_token:
                return current
            session = await refresher(current.refresh_token)
            if self.session is not current:
                raise LookupError("signed out while refreshing")
            self.save(session)
            return session

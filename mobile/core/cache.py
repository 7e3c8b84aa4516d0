"""The last good response to each GET, on disk, so lists still show (marked stale) offline."""

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CachedResponse:
    data: Any
    etag: str | None
    saved_at: float  # seconds since the epoch


class ResponseCache:
    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    def _file(self, path: str) -> Path:
        # Paths carry slashes and query strings; a digest makes a safe, fixed-length file name.
        return self._directory / (hashlib.sha256(path.encode()).hexdigest() + ".json")

    def get(self, path: str) -> CachedResponse | None:
        try:
            stored = json.loads(self._file(path).read_text())
        except (OSError, ValueError):
            return None
        return CachedResponse(stored["data"], stored.get("etag"), stored["saved_at"])

    def put(self, path: str, data: Any, etag: str | None) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        file = self._file(path)
        temporary = file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"data": data, "etag": etag, "saved_at": time.time()}))
        temporary.replace(file)  # a crash mid-write never leaves a half-written entry

    def clear(self) -> None:
        """Forget everything, e.g. on logout, so the next account never sees the last one's data."""
        for file in self._directory.glob("*.json"):
            file.unlink(missing_ok=True)

"""Request IDs and structured (JSON) logs that carry them.

Logs never contain a password or token: only the path (no query string) and status are logged,
and ``redact`` scrubs anything that looks like a credential from free text.
"""

import contextvars
import json
import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _new_request_id() -> str:
    """32 random hex digits, as uuid4().hex gives, without a system call per request: an id
    to find a request's log lines by, not a secret (`random` is reseeded in forked workers)."""
    return f"{random.getrandbits(128):032x}"


_SECRET_PATTERNS = [
    re.compile(r"(?i)(password|token|secret|authorization)(\"?\s*[:=]\s*\"?)([^\s\",&]+)"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # any JWT
]


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(r"\1\2[REDACTED]", text)
    return _SECRET_PATTERNS[1].sub("[REDACTED-JWT]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("warga")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


access_logger = logging.getLogger("warga.access")


class RequestIdMiddleware:
    """Echo or assign ``X-Request-ID`` and write one access-log line per request.

    Plain ASGI rather than ``BaseHTTPMiddleware`` so streaming responses and speed are unaffected.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else _new_request_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        }
                    },
                )
            request_id_var.reset(token)

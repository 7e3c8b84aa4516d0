"""Security headers on every response, and the content security policy of each HTML page.

Every response says ``nosniff`` (a browser never guesses a type other than the one sent),
``Referrer-Policy: no-referrer`` and, unless the route set its own, a policy that loads nothing,
runs nothing and may not be framed. The few HTML pages (the certificate check, the API docs)
set their own policy, allowing exactly their inline blocks by hash and nothing from elsewhere.
"""

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing may load, run, frame the response, or be submitted from it.
LOCKED_DOWN = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
]
_POLICY = b"content-security-policy"


def source_hash(text: str) -> str:
    """A CSP source allowing exactly this inline <script> or <style> content."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_blocks(html: str, tag: str) -> list[str]:
    """The contents of the page's inline <script> or <style> elements (not those with src)."""
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)


def page_policy(html: str, **sources: str) -> str:
    """A locked-down policy that lets this page's own inline styles and scripts run.

    `sources` add directives, e.g. ``script_src="'self'"`` for the page's own bundled files."""
    directives = {
        "default-src": "'none'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    for name, value in sources.items():
        directives[name.replace("_", "-")] = value
    for tag in ("script", "style"):
        hashes = [source_hash(block) for block in inline_blocks(html, tag)]
        if hashes:
            name = f"{tag}-src"
            directives[name] = " ".join([directives.get(name, ""), *hashes]).strip()
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """ASGI middleware: add the headers above to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in _ALWAYS if header[0] not in present)
                if _POLICY not in present:
                    headers.append((_POLICY, LOCKED_DOWN.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

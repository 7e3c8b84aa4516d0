"""Refuse webhook destinations inside the city's own network (SSRF).

A URL is checked when it is registered (its literal host) and again before every send, after
DNS resolution, and the request then goes to the very address that was checked, so a name that
later resolves elsewhere (DNS rebinding) cannot slip through.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services that are not in a private or link-local range.
METADATA_ADDRESSES = {ipaddress.ip_address("100.100.100.200")}
# What the C library's inet_aton reads as IPv4: "2130706433", "0x7f.1", "0177.0.0.1", "127.1".
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself, in any spelling a resolver would accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise UnsafeUrl(f"{host!r} is not a valid address") from None
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    # `is_global` is false for loopback, private, link-local, shared (CGNAT), unspecified,
    # reserved and documentation ranges alike.
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


def check_url(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Scheme, host and port of a URL that may receive webhooks, judged by its text."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("the URL cannot be parsed") from None
    if parts.scheme not in ("https", "http"):
        raise UnsafeUrl("only http and https URLs can receive webhooks")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("the URL may not carry a user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    if allow_private:
        return parts.scheme, host, port
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeUrl("loopback host names cannot receive webhooks")
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise UnsafeUrl(f"{address} is not a public address")
    return parts.scheme, host, port


def resolve_public(host: str, port: int, *, allow_private: bool) -> str:
    """One address of `host` to connect to, after checking every address it resolves to."""
    address = literal_address(host)
    if address is not None:
        candidates = [address]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise UnsafeUrl(f"{host!r} does not resolve: {error}") from None
        candidates = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not allow_private:
        unsafe = [str(a) for a in candidates if not is_public(a)]
        if unsafe:
            raise UnsafeUrl(f"{host!r} resolves to a non-public address ({', '.join(unsafe)})")
    if not candidates:
        raise UnsafeUrl(f"{host!r} has no address")
    return str(candidates[0])

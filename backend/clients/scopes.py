"""What an API client may be granted. A client is never a resident or an officer: scopes open
only the operations that declare them (see the OpenAPI document's `OAuth2ClientCredentials`)."""

from enum import StrEnum


class Scope(StrEnum):
    COMPLAINTS_READ = "complaints:read"
    COMPLAINTS_WRITE = "complaints:write"
    PERMITS_READ = "permits:read"
    PERMITS_VERIFY = "permits:verify"
    INFORMATION_READ = "information:read"
    STATS_READ = "stats:read"
    OPEN311 = "open311"
    WEBHOOKS = "webhooks"


SCOPE_DESCRIPTIONS: dict[str, str] = {
    Scope.COMPLAINTS_READ: "Read public complaints and, for an agency-bound client, its queue.",
    Scope.COMPLAINTS_WRITE: "File complaints as the client's channel.",
    Scope.PERMITS_READ: "Read the permit register and, for an agency-bound client, its queue.",
    Scope.PERMITS_VERIFY: "Check issued permits by their verification code.",
    Scope.INFORMATION_READ: "Read announcements, the service catalogue and the directory.",
    Scope.STATS_READ: "Read the Life Room figures and the open-data exports.",
    Scope.OPEN311: "File and read service requests through Open311 GeoReport v2.",
    Scope.WEBHOOKS: "Manage webhook subscriptions.",
}


def parse_scopes(text: str) -> list[str]:
    """Space-separated scope names (RFC 6749 §3.3), duplicates dropped, order kept."""
    return list(dict.fromkeys(text.split()))

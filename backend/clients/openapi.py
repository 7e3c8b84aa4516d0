"""Make the OpenAPI document say exactly which credentials each operation accepts.

* People's tokens (the password flow) carry no scopes: their role decides. FastAPI hands an
  operation's client scopes to every OAuth2 scheme beneath it, so they are taken off the
  password scheme here.
* Public reads need no token at all; they also declare the client scope that covers them
  (an empty requirement `{}` first: anonymous callers are welcome), so an integrator sees
  which scope a token needs for everything it will call.
"""

from typing import Any

from backend.clients.scopes import Scope

PASSWORD_SCHEME = "OAuth2PasswordBearer"
CLIENT_SCHEME = "OAuth2ClientCredentials"

# Tags whose operations are public reads, and the client scope that covers them.
PUBLIC_READ_SCOPES = {
    "public": Scope.COMPLAINTS_READ,
    "region": Scope.INFORMATION_READ,
    "information": Scope.INFORMATION_READ,
    "verification": Scope.PERMITS_VERIFY,
    "register": Scope.PERMITS_READ,
    "opendata": Scope.STATS_READ,
    "open311": Scope.OPEN311,
}


def declare_scopes(schema: dict[str, Any]) -> dict[str, Any]:
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            security = operation.get("security")
            if security:
                for requirement in security:
                    if PASSWORD_SCHEME in requirement:
                        requirement[PASSWORD_SCHEME] = []
                continue
            scope = PUBLIC_READ_SCOPES.get((operation.get("tags") or [""])[0])
            if scope is not None and method in ("get", "head"):
                operation["security"] = [{}, {CLIENT_SCHEME: [str(scope)]}]
    return schema

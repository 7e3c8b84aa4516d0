"""Who is calling on an integrator's behalf: the client behind a client-credentials token.

Operations open to clients declare their scopes with ``Security(..., scopes=[...])``; the
OpenAPI document then lists them under the `OAuth2ClientCredentials` scheme. A token carrying
none of an operation's scopes gets 403 `insufficient_scope`; every accepted request is counted
against the client's rate limit and written to its audit trail.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import Session
from starlette.requests import HTTPConnection

from backend.accounts.models import User
from backend.auth.dependencies import get_caller, get_reader, oauth2_scheme
from backend.auth.tokens import is_client_token
from backend.clients import service
from backend.clients.models import ApiClient
from backend.clients.scopes import SCOPE_DESCRIPTIONS, Scope
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import Forbidden, Unauthorized, bilingual
from shared.errors import ErrorCode
from shared.roles import Role

TOKEN_URL = "/api/v1/auth/token"


class OAuth2ClientCredentials(OAuth2):
    """A bearer token from the client-credentials grant (RFC 6749 §4.4)."""

    def __init__(self) -> None:
        flows = OAuthFlows(
            clientCredentials=OAuthFlowClientCredentials(
                tokenUrl=TOKEN_URL, scopes=dict(SCOPE_DESCRIPTIONS)
            )
        )
        super().__init__(
            flows=flows,
            scheme_name="OAuth2ClientCredentials",
            description="For integrators' systems: see docs/integrations.md.",
            auto_error=False,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        return token if scheme.lower() == "bearer" and token else None


client_scheme = OAuth2ClientCredentials()


@dataclass(frozen=True)
class ClientCaller:
    client: ApiClient
    scopes: tuple[str, ...]

    @property
    def agency_id(self) -> int | None:
        return self.client.agency_id


def _client_caller(
    request: Request, session: SessionDep, settings: SettingsDep, token: str, accepted: list[str]
) -> ClientCaller:
    client, claims = service.authenticate_token(session, settings=settings, token=token)
    service.require_scopes(claims.scopes, accepted)
    service.record_use(session, client=client, method=request.method, path=request.url.path)
    return ClientCaller(client=client, scopes=claims.scopes)


def get_client_caller(
    security_scopes: SecurityScopes,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(client_scheme)],
) -> ClientCaller:
    """Operations for clients only."""
    if not token:
        raise Unauthorized("Send a client-credentials access token.")
    if not is_client_token(token):
        raise Forbidden(
            bilingual(
                "Layanan ini hanya untuk klien API.", "This operation is for API clients only."
            )
        )
    return _client_caller(request, session, settings, token, security_scopes.scopes)


@dataclass(frozen=True)
class Principal:
    """A person (with a password login) or an API client; exactly one is set."""

    user: User | None = None
    client: ClientCaller | None = None

    @property
    def person(self) -> User:
        """The user of a principal that is not a client."""
        if self.user is None:
            raise TypeError("an API client's principal has no user")
        return self.user


async def get_principal(
    security_scopes: SecurityScopes,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_token: Annotated[str | None, Depends(client_scheme)],
    user_token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """Operations open to both people and clients; the route checks the person's role. A
    person known to the caller cache costs no thread-pool hop (see `get_caller`)."""
    token = client_token or user_token
    if not token:
        raise Unauthorized("Log in or send a client-credentials access token.")
    if is_client_token(token):
        client = await run_in_threadpool(
            _client_caller, request, session, settings, token, security_scopes.scopes
        )
        return Principal(client=client)
    return Principal(user=(await get_caller(session, settings, token)).user)


async def get_read_principal(
    security_scopes: SecurityScopes,
    request: Request,
    settings: SettingsDep,
    client_token: Annotated[str | None, Depends(client_scheme)],
    user_token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """`get_principal` for reads (``backend.reads``): a person known to the caller cache costs
    no session and no thread-pool hop. A client's use is counted in one hop, in a session of
    its own that `record_use` commits."""
    token = client_token or user_token
    if not token:
        raise Unauthorized("Log in or send a client-credentials access token.")
    if not is_client_token(token):
        return Principal(user=await get_reader(request, settings, token))

    def client_caller() -> ClientCaller:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            return _client_caller(request, session, settings, token, security_scopes.scopes)

    return Principal(client=await run_in_threadpool(client_caller))


def admin_or_client(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """An admin, or a client holding `scope`."""

    async def check(
        principal: Annotated[Principal, Security(get_principal, scopes=[scope])],
    ) -> Principal:
        if principal.user is not None and principal.user.role != Role.ADMIN:
            raise Forbidden("Your role may not use this endpoint.", code=ErrorCode.FORBIDDEN)
        return principal

    return check


CurrentClient = Annotated[ClientCaller, Depends(get_client_caller)]

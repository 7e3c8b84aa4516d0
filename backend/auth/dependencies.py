"""Who is calling: the bearer token's user, and role checks attached to routes."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.accounts.models import User
from backend.accounts.passwords import PasswordHashing
from backend.auth import caller_cache, service
from backend.auth.tokens import is_client_token
from backend.config import Settings
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import Forbidden, Unauthorized
from shared.roles import Role

# auto_error=False: a missing token becomes our own problem+json 401, not FastAPI's plain one.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    user: User
    session_id: str


async def get_caller(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Caller:
    if not token:
        raise Unauthorized("Log in to use this endpoint.")
    # A token this process verified before is answered from memory, on the event loop; only a
    # new one costs a thread-pool hop (JWT verification and one query).
    known = service.known_caller(session, access_token=token)
    if known is not None:
        return Caller(user=known.user_in(session), session_id=known.session_id)
    user, session_id = await run_in_threadpool(
        service.authenticate, session, settings=settings, access_token=token
    )
    return Caller(user=user, session_id=session_id)


async def get_reader(
    request: Request, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    """The caller of a read (``backend.reads``), checked exactly as by `get_caller`, as a user
    attached to no session: a read changes nothing, so a known token costs neither a session
    nor a thread-pool hop. Only a token seen for the first time is verified in a thread."""
    if not token:
        raise Unauthorized("Log in to use this endpoint.")
    engine = request.app.state.engine
    known = caller_cache.for_engine(engine).get(token)
    if known is not None:
        return known.detached_user()
    return await run_in_threadpool(_authenticate_detached, engine, settings, token)


def _authenticate_detached(engine: Engine, settings: Settings, token: str) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user, _ = service.authenticate(session, settings=settings, access_token=token)
        return user  # its columns are loaded: it stays readable once the session closes


async def get_person_or_none(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    """The person calling, or None for an API client (whose own dependencies check its token
    and scopes and count its own rate limit)."""
    if token and is_client_token(token):
        return None
    return (await get_caller(session, settings, token)).user


# No I/O below: `async def` keeps them on the event loop instead of a thread-pool hop each.
async def get_current_user(caller: Annotated[Caller, Depends(get_caller)]) -> User:
    return caller.user


def require_roles(
    *roles: Role, caller: Callable[..., Awaitable[User]] = get_current_user
) -> Callable[[User], Awaitable[User]]:
    """The caller (from `caller`: `get_reader` for reads) if their role is one of `roles`."""
    allowed = frozenset(roles)

    async def check(user: Annotated[User, Depends(caller)]) -> User:
        if user.role not in allowed:
            raise Forbidden("Your role may not use this endpoint.")
        return user

    return check


def get_password_hashing(request: Request) -> PasswordHashing:
    return request.app.state.password_hashing


CurrentCaller = Annotated[Caller, Depends(get_caller)]
CurrentUser = Annotated[User, Depends(get_current_user)]
Reader = Annotated[User, Depends(get_reader)]
AdminUser = Annotated[User, Depends(require_roles(Role.ADMIN))]
HashingDep = Annotated[PasswordHashing, Depends(get_password_hashing)]

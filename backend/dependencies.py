"""Dependencies every domain uses: the request's database session and the settings."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from backend.config import Settings
from backend.errors import Conflict, preferred_language
from shared.errors import ErrorCode


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Opening one does no I/O, so it happens on the event loop (a sync
    dependency would cost a thread-pool hop to enter and another to leave). Closing hands the
    connection back to the pool with a ROLLBACK: a local call on SQLite, done here; a round
    trip to a database server, done in a thread."""
    engine = request.app.state.engine
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction() and engine.dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


T = TypeVar("T")


async def in_one_hop(session: Session, work: Callable[[], T]) -> T:
    """Run a write's whole unit of work (load, apply the rule, commit, render the answer) in
    exactly one thread-pool hop, from an `async def` route; the request's session is closed in
    that same hop, so handing its connection back costs no hop of its own either."""

    def unit_of_work() -> T:
        try:
            return work()
        finally:
            session.close()

    return await run_in_threadpool(unit_of_work)


async def get_app_settings(request: Request) -> Settings:
    # `async def`: a plain attribute read, not worth a thread-pool hop on every request.
    return request.app.state.settings


def public_origin(request: Request) -> str:
    """Where absolute links point: the configured public URL, never the request's Host."""
    return request.app.state.settings.public_origin


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_language(request: Request) -> str:
    # `async def`: a header read is not worth a thread-pool hop.
    return preferred_language(request)


# The reader's language from Accept-Language: "id" (the default) or "en".
LanguageDep = Annotated[str, Depends(get_language)]

# Optimistic concurrency for actions on a versioned row (complaints, permit applications).
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=32,
        description='The `version` you last saw, e.g. `"4"`: the action fails with 409 if '
        "someone changed the item since.",
    ),
]


def check_version(version: int, if_match: str | None, *, detail: str) -> None:
    """409 `version_conflict` when the client names a version other than the row's (strong or
    weak ETag syntax, quoted or not); nothing to check when it names none."""
    if if_match is None:
        return
    if if_match.strip().removeprefix("W/").strip('"') != str(version):
        raise Conflict(detail, code=ErrorCode.VERSION_CONFLICT)

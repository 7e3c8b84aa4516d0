"""Dependencies every domain uses: the request's database session and the settings."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from backend.config import Settings
from backend.db import session_scope
from backend.errors import preferred_language


def get_session(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.engine)


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# The reader's language from Accept-Language: "id" (the default) or "en".
LanguageDep = Annotated[str, Depends(preferred_language)]

"""Loaders and typed dependencies of the permits API.

`VisibleApplication` is the one place that decides whether the caller may see an application:
anything else (another resident's, another agency's, someone's draft) is a 404, never a hint
that it exists.
"""

from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from backend.accounts.models import User
from backend.auth.dependencies import CurrentUser, require_roles
from backend.db import RowId
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import NotFound, preferred_language
from backend.permits import service
from backend.permits.certificates import CertificateIssuer
from backend.permits.models import PermitApplication
from backend.permits.signing import CityKey, city_key
from backend.region.service import get_region
from backend.uploads import FileStore, file_store
from shared.roles import Role


def get_visible_application(
    application_id: RowId, user: CurrentUser, session: SessionDep
) -> PermitApplication:
    application = session.get(PermitApplication, application_id)
    if application is None or not service.can_see(user, application):
        raise NotFound("There is no application with this id.")
    return application


def get_file_store(settings: SettingsDep) -> FileStore:
    return file_store(settings)


def get_city_key(settings: SettingsDep) -> CityKey:
    return city_key(settings)


def get_certificate_issuer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: Annotated[FileStore, Depends(get_file_store)],
) -> CertificateIssuer:
    # Certificates point at the host the API is reached on, so the QR code opens this server.
    return CertificateIssuer(
        load_key=partial(city_key, settings),
        store=store,
        base_url=str(request.base_url),
        issuer=get_region(session).code,
    )


def get_language(request: Request) -> str:
    return preferred_language(request)


VisibleApplication = Annotated[PermitApplication, Depends(get_visible_application)]
ResidentUser = Annotated[User, Depends(require_roles(Role.RESIDENT))]
StaffUser = Annotated[User, Depends(require_roles(Role.OFFICER, Role.SUPERVISOR))]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]
CityKeyDep = Annotated[CityKey, Depends(get_city_key)]
IssuerDep = Annotated[CertificateIssuer, Depends(get_certificate_issuer)]
Language = Annotated[str, Depends(get_language)]

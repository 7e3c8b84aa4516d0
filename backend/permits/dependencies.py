"""Loaders and typed dependencies of the permits API.

`VisibleApplication` loads an application through the access rule the lists use too
(`access.readable_by`): anything else (another resident's, another agency's, someone's draft)
is a 404, never a hint that it exists.
"""

from typing import Annotated

from fastapi import Depends, Request

from backend.accounts.models import User
from backend.auth.dependencies import CurrentUser, require_roles
from backend.db import RowId
from backend.dependencies import IfMatch, SessionDep, SettingsDep, check_version
from backend.errors import bilingual, preferred_language
from backend.permits import queries
from backend.permits.certificates import CertificateIssuer
from backend.permits.models import PermitApplication
from backend.permits.signing import CityKey, city_key
from backend.region.service import region_snapshot
from backend.uploads import FileStore, file_store
from shared.roles import Role


def get_visible_application(
    application_id: RowId, user: CurrentUser, session: SessionDep
) -> PermitApplication:
    return queries.visible_application(session, application_id=application_id, user=user)


def get_application_to_act_on(
    application: Annotated[PermitApplication, Depends(get_visible_application)],
    if_match: IfMatch = None,
) -> PermitApplication:
    """A visible application about to change: still at the version the caller saw, if named."""
    check_version(
        application.version,
        if_match,
        detail=bilingual(
            "Permohonan sudah diubah oleh orang lain; muat ulang lalu coba lagi.",
            "Someone else changed this application; reload it and try again.",
        ),
    )
    return application


def get_file_store(settings: SettingsDep) -> FileStore:
    return file_store(settings)


def get_city_key(settings: SettingsDep) -> CityKey:
    return city_key(settings)


def get_certificate_issuer(session: SessionDep, settings: SettingsDep) -> CertificateIssuer:
    return CertificateIssuer.configured(settings, region_code=region_snapshot(session).code)


def get_language(request: Request) -> str:
    return preferred_language(request)


VisibleApplication = Annotated[PermitApplication, Depends(get_visible_application)]
# For every action and change: checks `If-Match` against the application's row version.
ApplicationToActOn = Annotated[PermitApplication, Depends(get_application_to_act_on)]
ResidentUser = Annotated[User, Depends(require_roles(Role.RESIDENT))]
StaffUser = Annotated[User, Depends(require_roles(Role.OFFICER, Role.SUPERVISOR))]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]
CityKeyDep = Annotated[CityKey, Depends(get_city_key)]
IssuerDep = Annotated[CertificateIssuer, Depends(get_certificate_issuer)]
Language = Annotated[str, Depends(get_language)]

"""Admins register API clients, rotate their secrets, revoke them and read what they did."""

from fastapi import Query, status

from backend.auth.dependencies import AdminUser
from backend.clients import service
from backend.clients.schemas import (
    ClientAuditEntry,
    ClientCreate,
    ClientCredentials,
    ClientRead,
    ClientUpdate,
)
from backend.db import RowId
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import error_responses
from backend.pagination import Limit
from backend.routing import PrefixRouter

router = PrefixRouter(prefix="/api/v1/admin/clients", tags=["admin"])


@router.post(
    "",
    response_model=ClientCredentials,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 422),
)
def create_client(data: ClientCreate, admin: AdminUser, session: SessionDep) -> ClientCredentials:
    """Register a third party's system. The answer holds `client_secret`, shown this once."""
    client, secret = service.create_client(session, data=data, created_by=admin)
    session.commit()
    return service.to_credentials(session, client, secret)


@router.get("", response_model=list[ClientRead], responses=error_responses(401, 403))
def list_clients(admin: AdminUser, session: SessionDep) -> list[ClientRead]:
    return [service.to_read(session, client) for client in service.list_clients(session)]


@router.get("/{client_id}", response_model=ClientRead, responses=error_responses(401, 403, 404))
def read_client(client_id: str, admin: AdminUser, session: SessionDep) -> ClientRead:
    return service.to_read(session, service.get_client(session, client_id=client_id))


@router.patch(
    "/{client_id}", response_model=ClientRead, responses=error_responses(401, 403, 404, 422)
)
def update_client(
    client_id: str, data: ClientUpdate, admin: AdminUser, session: SessionDep
) -> ClientRead:
    """Rename, change the contact, the scopes or the rate limit. Scopes taken away stop working
    at once, in tokens already issued too."""
    client = service.get_client(session, client_id=client_id)
    service.update_client(session, client=client, data=data)
    session.commit()
    return service.to_read(session, client)


@router.post(
    "/{client_id}/rotate-secret",
    response_model=ClientCredentials,
    responses=error_responses(401, 403, 404, 409),
)
def rotate_client_secret(
    client_id: str, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> ClientCredentials:
    """A new secret; the old one keeps working until `previous_secret_expires_at`."""
    client = service.get_client(session, client_id=client_id)
    client, secret = service.rotate_secret(session, client=client, settings=settings)
    session.commit()
    return service.to_credentials(session, client, secret)


@router.post(
    "/{client_id}/revoke", response_model=ClientRead, responses=error_responses(401, 403, 404)
)
def revoke_client(client_id: str, admin: AdminUser, session: SessionDep) -> ClientRead:
    """The client's secrets and every token it holds stop working at once."""
    client = service.get_client(session, client_id=client_id)
    service.revoke(session, client=client)
    session.commit()
    return service.to_read(session, client)


@router.get(
    "/{client_id}/audit",
    response_model=list[ClientAuditEntry],
    responses=error_responses(401, 403, 404),
)
def read_client_audit(
    client_id: str,
    admin: AdminUser,
    session: SessionDep,
    before: RowId | None = Query(None, description="Entries older than this entry id."),
    limit: Limit = 50,
) -> list[ClientAuditEntry]:
    """The client's requests, newest first."""
    client = service.get_client(session, client_id=client_id)
    entries = service.audit_trail(session, client=client, before_id=before, limit=limit)
    return [ClientAuditEntry(method=e.method, path=e.path, at=e.at) for e in entries]

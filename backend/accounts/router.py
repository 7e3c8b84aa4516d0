from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Query, status
from sqlmodel import Session

from backend.accounts import service
from backend.accounts.models import NikClaimStatus, User
from backend.accounts.schemas import (
    Colleague,
    ColleagueList,
    NikClaimDecision,
    NikClaimRead,
    PasswordChange,
    ProfileUpdate,
    ResidentRegistration,
    StaffCreate,
    UserRead,
)
from backend.auth.dependencies import (
    AdminUser,
    CurrentCaller,
    CurrentUser,
    HashingDep,
    require_roles,
)
from backend.db import RowId
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import error_responses
from backend.pagination import Cursor, Limit, Page
from backend.ratelimit import limit_address
from backend.routing import PrefixRouter
from shared.roles import Role

router = PrefixRouter(prefix="/api/v1", tags=["accounts"])


@contextmanager
def _counting_wrong_passwords(session: Session) -> Iterator[None]:
    """A wrong current password is refused, and its failure committed first: it counts toward
    the account's lock (see `auth.service.confirm_password`)."""
    try:
        yield
    except service.WrongCurrentPassword:
        session.commit()
        raise


@router.post(
    "/accounts",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422, 429),
    dependencies=[limit_address("registration")],
)
def register(data: ResidentRegistration, session: SessionDep, hashing: HashingDep) -> UserRead:
    """Register as a resident with an email address and/or an Indonesian mobile number.

    The answer is the same whether or not another account holds the NIK given; if one does,
    the claim waits for an admin's review (see docs/accounts.md)."""
    user = service.register_resident(session, hashing=hashing, data=data)
    session.commit()
    return service.to_read(session, user)


@router.patch("/me", response_model=UserRead, responses=error_responses(401, 403, 409, 422))
def update_me(
    changes: ProfileUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    hashing: HashingDep,
) -> UserRead:
    """Edit your profile. Changing `email`, `phone` or `nik` needs `current_password`.

    A NIK another account already holds is not refused: it shows as yours, unverified, while
    an admin reviews the claim (see docs/accounts.md)."""
    with _counting_wrong_passwords(session):
        service.update_profile(
            session, settings=settings, hashing=hashing, user=user, changes=changes
        )
    session.commit()
    return service.to_read(session, user)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 422),
)
def change_password(
    change: PasswordChange,
    caller: CurrentCaller,
    session: SessionDep,
    settings: SettingsDep,
    hashing: HashingDep,
) -> None:
    """Change the password; every other session is logged out."""
    with _counting_wrong_passwords(session):
        service.change_password(
            session,
            settings=settings,
            hashing=hashing,
            user=caller.user,
            change=change,
            current_session_id=caller.session_id,
        )
    session.commit()


@router.get(
    "/me/colleagues",
    response_model=ColleagueList,
    responses=error_responses(401, 403),
)
def list_colleagues(
    session: SessionDep,
    user: Annotated[User, Depends(require_roles(Role.OFFICER, Role.SUPERVISOR))],
) -> ColleagueList:
    """The staff of your agency, for assigning complaints and applications to one of them."""
    colleagues = service.list_colleagues(session, user=user)
    return ColleagueList(
        items=[Colleague(id=u.id, full_name=u.full_name, role=u.role) for u in colleagues]
    )


admin_router = PrefixRouter(prefix="/api/v1/admin", tags=["admin"])


@admin_router.get("/users", response_model=Page[UserRead], responses=error_responses(401, 403))
def list_users(
    _: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    role: Role | None = None,
) -> Page[UserRead]:
    users, next_cursor = service.list_users(session, role=role, cursor=cursor, limit=limit)
    return Page(items=[service.to_read(session, u) for u in users], next_cursor=next_cursor)


@admin_router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 409, 422),
)
def create_staff(
    data: StaffCreate, _: AdminUser, session: SessionDep, hashing: HashingDep
) -> UserRead:
    """Create an officer, supervisor (both in one agency) or admin account."""
    user = service.create_staff(session, hashing=hashing, data=data)
    session.commit()
    return service.to_read(session, user)


@admin_router.post(
    "/users/{user_id}/deactivate",
    response_model=UserRead,
    responses=error_responses(401, 403, 404, 409),
)
def deactivate_user(user_id: RowId, admin: AdminUser, session: SessionDep) -> UserRead:
    """Deactivate an account; its tokens stop working at once."""
    user = service.deactivate_user(session, user_id=user_id, acting_admin=admin)
    session.commit()
    return service.to_read(session, user)


@admin_router.get(
    "/nik-claims", response_model=Page[NikClaimRead], responses=error_responses(401, 403, 422)
)
def list_nik_claims(
    _: AdminUser,
    session: SessionDep,
    status_filter: Annotated[NikClaimStatus | None, Query(alias="status")] = NikClaimStatus.PENDING,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[NikClaimRead]:
    """Claims to a NIK another account holds, oldest first (pending ones unless `status`)."""
    claims, next_cursor = service.list_nik_claims(
        session, status=status_filter, cursor=cursor, limit=limit
    )
    return Page(items=[service.nik_claim_read(session, c) for c in claims], next_cursor=next_cursor)


@admin_router.post(
    "/nik-claims/{claim_id}/decision",
    response_model=NikClaimRead,
    responses=error_responses(401, 403, 404, 409, 422),
)
def decide_nik_claim(
    claim_id: RowId, decision: NikClaimDecision, admin: AdminUser, session: SessionDep
) -> NikClaimRead:
    """Grant the claim (the NIK moves to the claimant, verified) or refuse it (the holder keeps
    it, verified). Both accounts are told in their inbox."""
    claim = service.decide_nik_claim(session, claim_id=claim_id, admin=admin, decision=decision)
    session.commit()
    return service.nik_claim_read(session, claim)

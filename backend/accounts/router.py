from typing import Annotated

from fastapi import APIRouter, Depends, status

from backend.accounts import service
from backend.accounts.models import User
from backend.accounts.schemas import (
    Colleague,
    ColleagueList,
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
from backend.dependencies import SessionDep
from backend.errors import error_responses
from backend.pagination import Cursor, Limit, Page
from backend.ratelimit import limit_address
from shared.roles import Role

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/accounts",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422, 429),
    dependencies=[limit_address("registration")],
)
def register(data: ResidentRegistration, session: SessionDep, hashing: HashingDep) -> UserRead:
    """Register as a resident with an email address and/or an Indonesian mobile number."""
    user = service.register_resident(session, hashing=hashing, data=data)
    session.commit()
    return service.to_read(session, user)


@router.get("/me", response_model=UserRead, responses=error_responses(401))
def read_me(user: CurrentUser, session: SessionDep) -> UserRead:
    return service.to_read(session, user)


@router.patch("/me", response_model=UserRead, responses=error_responses(401, 409, 422))
def update_me(changes: ProfileUpdate, user: CurrentUser, session: SessionDep) -> UserRead:
    service.update_profile(session, user=user, changes=changes)
    session.commit()
    return service.to_read(session, user)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 422),
)
def change_password(
    change: PasswordChange, caller: CurrentCaller, session: SessionDep, hashing: HashingDep
) -> None:
    """Change the password; every other session is logged out."""
    service.change_password(
        session,
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


admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


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

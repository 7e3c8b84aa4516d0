"""Registering residents, creating staff, profiles, passwords and deactivation."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.accounts.models import User
from backend.accounts.passwords import PasswordHashing, password_problem
from backend.accounts.schemas import (
    PasswordChange,
    ProfileUpdate,
    ResidentRegistration,
    StaffCreate,
    UserRead,
)
from backend.auth.service import revoke_user_sessions
from backend.db import unique_violation, utcnow
from backend.errors import Conflict, FieldError, NotFound, Unauthorized, Unprocessable
from backend.pagination import after_cursor, page_of
from backend.region.models import Agency
from shared.errors import ErrorCode
from shared.roles import Role, belongs_to_agency


def agency_code_of(session: Session, user: User) -> str | None:
    if user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.code if agency else None


def to_read(session: Session, user: User) -> UserRead:
    return UserRead(
        id=user.id,
        full_name=user.full_name,
        email=user.email,
        phone=user.phone,
        nik=user.nik,
        role=user.role,
        agency_code=agency_code_of(session, user),
        language=user.language,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def _check_password(
    password: str, *, full_name: str, email: str | None, phone: str | None, field: str = "password"
) -> None:
    personal = [
        *full_name.split(),
        email.split("@")[0] if email else None,
        phone[3:] if phone else None,
    ]
    problem = password_problem(password, personal=personal)
    if problem:
        code, _, detail_en = problem
        raise Unprocessable.for_field(field, ErrorCode(code), detail_en)


# An account's unique fields and the answer when one is taken: by the check before the write,
# or by the database when a concurrent request took the value in between.
_TAKEN = {
    "email": (ErrorCode.EMAIL_TAKEN, "This email is already registered."),
    "phone": (ErrorCode.PHONE_TAKEN, "This phone number is already registered."),
    "nik": (ErrorCode.CONFLICT, "This NIK is already registered."),
}


def _taken(field: str) -> Conflict:
    code, detail = _TAKEN[field]
    return Conflict(detail, code=code, errors=[FieldError(field=field, code=code, message=detail)])


def _check_unique(
    session: Session,
    *,
    email: str | None,
    phone: str | None,
    nik: str | None,
    except_user_id: int | None = None,
) -> None:
    for field, value in (("email", email), ("phone", phone), ("nik", nik)):
        if value is None:
            continue
        owner = session.scalar(select(User.id).where(getattr(User, field) == value))
        if owner is not None and owner != except_user_id:
            raise _taken(field)


def _save(session: Session, user: User) -> None:
    """Write the account: a unique value taken since `_check_unique` is the same 409."""
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:
        taken = unique_violation(error, User.__tablename__) or frozenset()
        field = next((field for field in _TAKEN if field in taken), None)
        if field is None:
            raise
        raise _taken(field) from None


def _require_contact(email: str | None, phone: str | None) -> None:
    if not email and not phone:
        detail = "Give an email address or a mobile number (or both)."
        raise Unprocessable(
            detail,
            errors=[
                FieldError(field="email", code=ErrorCode.VALIDATION_FAILED, message=detail),
                FieldError(field="phone", code=ErrorCode.VALIDATION_FAILED, message=detail),
            ],
        )


def register_resident(
    session: Session, *, hashing: PasswordHashing, data: ResidentRegistration
) -> User:
    _require_contact(data.email, data.phone)
    _check_password(data.password, full_name=data.full_name, email=data.email, phone=data.phone)
    _check_unique(session, email=data.email, phone=data.phone, nik=data.nik)
    user = User(
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        nik=data.nik,
        password_hash=hashing.hash(data.password),
        role=Role.RESIDENT,
        language=data.language,
    )
    _save(session, user)
    return user


def _agency_id_for(session: Session, role: Role, agency_code: str | None) -> int | None:
    if not belongs_to_agency(role):
        if agency_code:
            raise Unprocessable.for_field(
                "agency_code",
                ErrorCode.VALIDATION_FAILED,
                "Only officers and supervisors belong to an agency.",
            )
        return None
    if not agency_code:
        raise Unprocessable.for_field(
            "agency_code", ErrorCode.VALIDATION_FAILED, "Officers and supervisors need an agency."
        )
    agency = session.scalar(select(Agency).where(Agency.code == agency_code, Agency.active))
    if agency is None:
        raise Unprocessable.for_field(
            "agency_code", ErrorCode.NOT_FOUND, f"No active agency has the code {agency_code!r}."
        )
    return agency.id


def create_staff(session: Session, *, hashing: PasswordHashing, data: StaffCreate) -> User:
    _require_contact(data.email, data.phone)
    agency_id = _agency_id_for(session, Role(data.role), data.agency_code)
    _check_password(data.password, full_name=data.full_name, email=data.email, phone=data.phone)
    _check_unique(session, email=data.email, phone=data.phone, nik=None)
    user = User(
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        password_hash=hashing.hash(data.password),
        role=Role(data.role),
        agency_id=agency_id,
        language=data.language,
    )
    _save(session, user)
    return user


def update_profile(session: Session, *, user: User, changes: ProfileUpdate) -> User:
    values = changes.model_dump(exclude_unset=True)
    if values.get("full_name") is None:
        values.pop("full_name", None)
    if values.get("language") is None:
        values.pop("language", None)
    email = values.get("email", user.email)
    phone = values.get("phone", user.phone)
    _require_contact(email, phone)
    _check_unique(
        session,
        email=values.get("email"),
        phone=values.get("phone"),
        nik=values.get("nik"),
        except_user_id=user.id,
    )
    for name, value in values.items():
        setattr(user, name, value)
    user.updated_at = utcnow()
    _save(session, user)
    return user


def change_password(
    session: Session,
    *,
    hashing: PasswordHashing,
    user: User,
    change: PasswordChange,
    current_session_id: str,
) -> None:
    """Set a new password and end every other session (a stolen session is cut off)."""
    if not hashing.verify(user.password_hash, change.current_password):
        raise Unauthorized("The current password is wrong.", code=ErrorCode.INVALID_CREDENTIALS)
    _check_password(
        change.new_password,
        full_name=user.full_name,
        email=user.email,
        phone=user.phone,
        field="new_password",
    )
    user.password_hash = hashing.hash(change.new_password)
    user.updated_at = utcnow()
    session.add(user)
    revoke_user_sessions(
        session, user_id=user.id, reason="password_changed", keep_session_id=current_session_id
    )
    session.flush()


def deactivate_user(session: Session, *, user_id: int, acting_admin: User) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == acting_admin.id:
        raise Conflict("Admins cannot deactivate their own account.")
    user.is_active = False
    user.updated_at = utcnow()
    session.add(user)
    revoke_user_sessions(session, user_id=user.id, reason="deactivated")
    session.flush()
    return user


def list_colleagues(session: Session, *, user: User) -> list[User]:
    """Active officers and supervisors of the caller's agency, the caller included."""
    return list(
        session.scalars(
            select(User)
            .where(User.agency_id == user.agency_id, User.is_active)
            .order_by(User.full_name, User.id)
        )
    )


def list_users(
    session: Session, *, role: Role | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    statement = after_cursor(statement, [User.id], cursor).limit(limit + 1)
    return page_of(list(session.scalars(statement)), limit=limit, key=lambda u: [u.id])

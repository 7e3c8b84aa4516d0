"""Registering residents, creating staff, profiles, passwords and deactivation."""

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.accounts.models import NikClaim, NikClaimStatus, User
from backend.accounts.passwords import PasswordHashing, password_problem
from backend.accounts.schemas import (
    SENSITIVE_PROFILE_FIELDS,
    ClaimParty,
    NikClaimDecision,
    NikClaimRead,
    PasswordChange,
    ProfileUpdate,
    ResidentRegistration,
    StaffCreate,
    UserRead,
)
from backend.auth.caller_cache import announce_user_changed
from backend.auth.service import confirm_password, revoke_user_sessions
from backend.config import Settings
from backend.db import insert_on_conflict, table_of, unique_violation, utcnow
from backend.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    Unprocessable,
    bilingual,
)
from backend.notifications.service import Message, notify
from backend.pagination import after_cursor, page_of
from backend.region.models import Agency
from shared.errors import ErrorCode
from shared.roles import Role, belongs_to_agency


def agency_code_of(session: Session, user: User) -> str | None:
    if user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.code if agency else None


# Built once: `/me` asks it on every call for an account without a verified NIK.
_PENDING_CLAIM = (
    select(col(NikClaim.nik))
    .where(
        col(NikClaim.claimant_id) == bindparam("user_id"),
        col(NikClaim.status) == NikClaimStatus.PENDING,
    )
    .order_by(col(NikClaim.id).desc())
    .limit(1)
)


def claimed_nik(session: Session, user: User) -> str | None:
    """The NIK the account holds or, failing that, the one it claims while an admin reviews."""
    if user.nik is not None:
        return user.nik
    return session.connection().execute(_PENDING_CLAIM, {"user_id": user.id}).scalar()


def to_read(session: Session, user: User) -> UserRead:
    return UserRead(
        id=user.id,
        full_name=user.full_name,
        email=user.email,
        phone=user.phone,
        nik=claimed_nik(session, user),
        nik_verified=user.nik_verified,
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
}


def _taken(field: str) -> Conflict:
    code, detail = _TAKEN[field]
    return Conflict(detail, code=code, errors=[FieldError(field=field, code=code, message=detail)])


def _check_unique(
    session: Session,
    *,
    email: str | None,
    phone: str | None,
    except_user_id: int | None = None,
) -> None:
    for field, value in (("email", email), ("phone", phone)):
        if value is None:
            continue
        owner = session.scalar(select(col(User.id)).where(getattr(User, field) == value))
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
    _check_unique(session, email=data.email, phone=data.phone)
    user = User(
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        password_hash=hashing.hash(data.password),
        role=Role.RESIDENT,
        language=data.language,
    )
    _save(session, user)
    if data.nik is not None:
        set_nik(session, user=user, nik=data.nik)
    return user


# --- NIK: held, or claimed and reviewed (docs/accounts.md) ---


def set_nik(session: Session, *, user: User, nik: str | None) -> None:
    """Give `user` the NIK when no account holds it; otherwise queue a claim for the admins.

    Both paths look the same to the caller (the NIK shows as theirs, unverified), so neither
    registration nor a profile change tells anyone whether a NIK is registered. The NIK the
    account held before is let go either way.
    """
    if nik is not None and nik == user.nik:
        return  # held already; no NIK still lets go of a pending claim below
    # The claims withdrawn or opened below change what `/me` shows, and they are not the row.
    announce_user_changed(session, user.id)
    user.nik, user.nik_verified = None, False
    session.add(user)
    session.execute(
        update(NikClaim)
        .where(col(NikClaim.claimant_id) == user.id, col(NikClaim.status) == NikClaimStatus.PENDING)
        .values(status=NikClaimStatus.WITHDRAWN, decided_at=utcnow())
    )
    session.flush()
    if nik is None:
        return
    if session.scalar(select(col(User.id)).where(col(User.nik) == nik)) is None:
        try:
            with session.begin_nested():  # two accounts taking a free NIK at once: one gets it
                user.nik = nik
                session.flush()
            return
        except IntegrityError as error:
            if unique_violation(error, User.__tablename__) != frozenset({"nik"}):
                raise
    _claim_nik(session, claimant=user, nik=nik)


def _claim_nik(session: Session, *, claimant: User, nik: str) -> None:
    holder = session.scalar(select(User).where(col(User.nik) == nik))
    table = table_of(NikClaim)
    # One claim per account and NIK: a new one, or a decided one opened again. Already
    # pending: nothing new to tell anyone.
    statement = insert_on_conflict(session.get_bind().dialect.name, table).values(
        nik=nik,
        claimant_id=claimant.id,
        holder_id=holder.id if holder else None,
        status=NikClaimStatus.PENDING,
        created_at=utcnow(),
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.nik, table.c.claimant_id],
        set_={
            "status": NikClaimStatus.PENDING,
            "holder_id": statement.excluded.holder_id,
            "created_at": statement.excluded.created_at,
            "decided_at": None,
            "decided_by_id": None,
            "decision_note": None,
        },
        where=table.c.status != NikClaimStatus.PENDING,
    ).returning(table.c.id)
    claim_id = session.execute(upsert).scalar()
    if claim_id is None:
        return
    if holder is not None:
        notify(
            session,
            user_ids=[holder.id],
            kind="account.nik_claimed",
            message=Message(
                title_id="Akun lain memasukkan NIK Anda",
                title_en="Another account entered your NIK",
                body_id="Admin akan memeriksanya. Sampai saat itu NIK tetap pada akun Anda dan "
                "akun Anda berfungsi seperti biasa.",
                body_en="An admin will review it. Until then the NIK stays with your account and "
                "your account works as usual.",
            ),
            subject_type="nik_claim",
            subject_id=claim_id,
        )
    admins = session.scalars(
        select(col(User.id)).where(col(User.role) == Role.ADMIN, col(User.is_active))
    )
    notify(
        session,
        user_ids=list(admins),
        kind="account.nik_claim_review",
        message=Message(
            title_id="Klaim NIK menunggu pemeriksaan",
            title_en="A NIK claim awaits review",
        ),
        subject_type="nik_claim",
        subject_id=claim_id,
    )


def _party(user: User | None) -> ClaimParty | None:
    if user is None:
        return None
    return ClaimParty(id=user.id, full_name=user.full_name, email=user.email, phone=user.phone)


def nik_claim_read(session: Session, claim: NikClaim) -> NikClaimRead:
    return NikClaimRead(
        id=claim.id,
        nik=claim.nik,
        status=claim.status,
        claimant=_party(session.get(User, claim.claimant_id)),
        holder=_party(session.scalar(select(User).where(col(User.nik) == claim.nik))),
        created_at=claim.created_at,
        decided_at=claim.decided_at,
        decision_note=claim.decision_note,
    )


def list_nik_claims(
    session: Session, *, status: NikClaimStatus | None, cursor: str | None, limit: int
) -> tuple[list[NikClaim], str | None]:
    """Oldest first: the review queue."""
    statement = select(NikClaim)
    if status is not None:
        statement = statement.where(col(NikClaim.status) == status)
    statement = after_cursor(statement, [NikClaim.id], cursor).limit(limit + 1)
    return page_of(list(session.scalars(statement)), limit=limit, key=lambda c: [c.id])


_DECISION_MESSAGES = {
    # (outcome, who) -> (title in Indonesian, in English)
    ("grant", "claimant"): ("NIK Anda sudah diverifikasi", "Your NIK has been verified"),
    ("grant", "holder"): (
        "NIK dipindahkan dari akun Anda setelah pemeriksaan",
        "After a review, the NIK was moved off your account",
    ),
    ("refuse", "claimant"): ("Klaim NIK Anda ditolak", "Your NIK claim was refused"),
    ("refuse", "holder"): (
        "NIK Anda tetap pada akun Anda dan sudah diverifikasi",
        "Your NIK stays with your account and is now verified",
    ),
}


def decide_nik_claim(
    session: Session, *, claim_id: int, admin: User, decision: NikClaimDecision
) -> NikClaim:
    """Grant (the NIK moves to the claimant, verified) or refuse (the holder keeps it, verified).
    Of two admins deciding at once, one wins; the other gets 409."""
    claim = session.get(NikClaim, claim_id)
    if claim is None:
        raise NotFound("There is no NIK claim with this id.")
    granted = decision.outcome == "grant"
    decided = session.exec(
        update(NikClaim)
        .where(col(NikClaim.id) == claim.id, col(NikClaim.status) == NikClaimStatus.PENDING)
        .values(
            status=NikClaimStatus.GRANTED if granted else NikClaimStatus.REFUSED,
            decided_at=utcnow(),
            decided_by_id=admin.id,
            decision_note=decision.note,
        )
    )
    if decided.rowcount != 1:
        raise Conflict(
            bilingual("Klaim ini sudah diputuskan.", "This claim has already been decided."),
            code=ErrorCode.NIK_CLAIM_DECIDED,
        )
    holder = session.scalar(select(User).where(col(User.nik) == claim.nik))
    claimant = session.get_one(User, claim.claimant_id)
    # Refused, the claimant's `/me` loses the NIK it showed while pending; their row is untouched.
    announce_user_changed(session, claimant.id)
    if granted:
        if holder is not None and holder.id != claimant.id:
            holder.nik, holder.nik_verified = None, False
            session.flush()  # let go of the NIK before the claimant takes it (unique)
        claimant.nik, claimant.nik_verified = claim.nik, True
    elif holder is not None:
        holder.nik_verified = True
    session.flush()
    people = {"claimant": claimant.id, "holder": holder.id if holder else None}
    for who, user_id in people.items():
        if user_id is None or (who == "holder" and user_id == claimant.id):
            continue
        title_id, title_en = _DECISION_MESSAGES[(decision.outcome, who)]
        notify(
            session,
            user_ids=[user_id],
            kind="account.nik_claim_decided",
            message=Message(
                title_id=title_id,
                title_en=title_en,
                body_id=decision.note or "",
                body_en=decision.note or "",
            ),
            subject_type="nik_claim",
            subject_id=claim.id,
        )
    session.refresh(claim)
    return claim


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
    agency = session.scalar(
        select(Agency).where(col(Agency.code) == agency_code, col(Agency.active))
    )
    if agency is None:
        raise Unprocessable.for_field(
            "agency_code", ErrorCode.NOT_FOUND, f"No active agency has the code {agency_code!r}."
        )
    return agency.id


def create_staff(session: Session, *, hashing: PasswordHashing, data: StaffCreate) -> User:
    _require_contact(data.email, data.phone)
    agency_id = _agency_id_for(session, Role(data.role), data.agency_code)
    _check_password(data.password, full_name=data.full_name, email=data.email, phone=data.phone)
    _check_unique(session, email=data.email, phone=data.phone)
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


class WrongCurrentPassword(Problem):
    """Refused for a wrong current password: the failure counts toward the account's lock,
    so the router commits before it answers."""


class _WrongPasswordForProfile(WrongCurrentPassword, Forbidden):
    pass


class _WrongPasswordForChange(WrongCurrentPassword, Unauthorized):
    pass


def _require_current_password(
    session: Session,
    *,
    settings: Settings,
    hashing: PasswordHashing,
    user: User,
    current_password: str | None,
    changing: list[str],
) -> None:
    if current_password is None:
        detail = bilingual(
            f"Masukkan kata sandi saat ini untuk mengubah {', '.join(changing)}.",
            f"Enter your current password to change {', '.join(changing)}.",
        )
        raise Unprocessable.for_field(
            "current_password", ErrorCode.CURRENT_PASSWORD_REQUIRED, detail
        )
    confirmed = confirm_password(
        session, settings=settings, hashing=hashing, user=user, password=current_password
    )
    if not confirmed:
        detail = bilingual("Kata sandi saat ini salah.", "The current password is wrong.")
        raise _WrongPasswordForProfile(
            detail,
            code=ErrorCode.CURRENT_PASSWORD_WRONG,
            errors=[
                FieldError(
                    field="current_password",
                    code=ErrorCode.CURRENT_PASSWORD_WRONG,
                    message=detail,
                )
            ],
        )


def update_profile(
    session: Session,
    *,
    settings: Settings,
    hashing: PasswordHashing,
    user: User,
    changes: ProfileUpdate,
) -> User:
    values = changes.model_dump(exclude_unset=True)
    current_password = values.pop("current_password", None)
    if values.get("full_name") is None:
        values.pop("full_name", None)
    if values.get("language") is None:
        values.pop("language", None)
    # Sending the value the account already has changes nothing and needs no password.
    changing = [
        name
        for name in SENSITIVE_PROFILE_FIELDS
        if name in values
        and values[name] != (claimed_nik(session, user) if name == "nik" else getattr(user, name))
    ]
    if changing:
        _require_current_password(
            session,
            settings=settings,
            hashing=hashing,
            user=user,
            current_password=current_password,
            changing=changing,
        )
    email = values.get("email", user.email)
    phone = values.get("phone", user.phone)
    _require_contact(email, phone)
    _check_unique(
        session, email=values.get("email"), phone=values.get("phone"), except_user_id=user.id
    )
    nik_changes = "nik" in changing
    nik = values.pop("nik", None)
    for name, value in values.items():
        setattr(user, name, value)
    user.updated_at = utcnow()
    _save(session, user)
    if nik_changes:
        set_nik(session, user=user, nik=nik)
    return user


def change_password(
    session: Session,
    *,
    settings: Settings,
    hashing: PasswordHashing,
    user: User,
    change: PasswordChange,
    current_session_id: str,
) -> None:
    """Set a new password and end every other session (a stolen session is cut off)."""
    confirmed = confirm_password(
        session, settings=settings, hashing=hashing, user=user, password=change.current_password
    )
    if not confirmed:
        raise _WrongPasswordForChange(
            "The current password is wrong.", code=ErrorCode.INVALID_CREDENTIALS
        )
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
            .where(col(User.agency_id) == user.agency_id, col(User.is_active))
            .order_by(col(User.full_name), col(User.id))
        )
    )


def list_users(
    session: Session, *, role: Role | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    statement = select(User)
    if role is not None:
        statement = statement.where(col(User.role) == role)
    statement = after_cursor(statement, [User.id], cursor).limit(limit + 1)
    return page_of(list(session.scalars(statement)), limit=limit, key=lambda u: [u.id])

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from backend.accounts.service import agency_code_of
from backend.auth import service
from backend.auth.dependencies import CurrentCaller, HashingDep
from backend.auth.schemas import RefreshRequest, TokenResponse
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import error_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _token_response(session: SessionDep, pair: service.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        role=pair.user.role,
        agency_code=agency_code_of(session, pair.user),
    )


@router.post(
    "/token",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses=error_responses(401, 422, 429),
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    hashing: HashingDep,
) -> TokenResponse:
    """OAuth2 password flow: `username` is an email address or mobile number."""
    try:
        pair = service.login(
            session,
            settings=settings,
            hashing=hashing,
            username=form.username,
            password=form.password,
            client_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    finally:
        session.commit()  # a failed attempt must be counted even though we answer 401
    return _token_response(session, pair)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=error_responses(401, 422),
)
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Swap a refresh token for a new pair; the old refresh token stops working."""
    try:
        pair = service.refresh(session, settings=settings, refresh_token=body.refresh_token)
    finally:
        session.commit()  # reuse detection revokes the session even though we answer 401
    return _token_response(session, pair)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401),
)
def logout(caller: CurrentCaller, session: SessionDep) -> Response:
    """End this session: its refresh token and access tokens stop working."""
    service.logout(session, session_id=caller.session_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

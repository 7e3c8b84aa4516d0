from typing import Annotated

from fastapi import Form, Request, Response, status

from backend.accounts.service import agency_code_of
from backend.auth import service
from backend.auth.dependencies import CurrentCaller, HashingDep
from backend.auth.schemas import RefreshRequest, TokenRequest, TokenResponse
from backend.clients import service as clients_service
from backend.clients.schemas import ClientTokenResponse
from backend.dependencies import SessionDep, SettingsDep
from backend.errors import FieldError, Unprocessable, error_responses
from backend.routing import PrefixRouter
from shared.errors import ErrorCode

router = PrefixRouter(prefix="/api/v1/auth", tags=["auth"])


def _token_response(session: SessionDep, pair: service.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        role=pair.user.role,
        agency_code=agency_code_of(session, pair.user),
    )


def _username_and_password(form: TokenRequest) -> tuple[str, str]:
    """The password grant's two fields, or a 422 naming each one missing."""
    if form.username is not None and form.password is not None:
        return form.username, form.password
    missing = [name for name in ("username", "password") if getattr(form, name) is None]
    errors = [
        FieldError(field=name, code=ErrorCode.VALIDATION_FAILED, message="Field required")
        for name in missing
    ]
    raise Unprocessable("; ".join(f"{name}: Field required" for name in missing), errors=errors)


@router.post(
    "/token",
    response_model=TokenResponse | ClientTokenResponse,
    status_code=status.HTTP_200_OK,
    responses=error_responses(400, 401, 422, 429),
)
def login(
    request: Request,
    response: Response,
    form: Annotated[TokenRequest, Form()],
    session: SessionDep,
    settings: SettingsDep,
    hashing: HashingDep,
) -> TokenResponse | ClientTokenResponse:
    """OAuth2 token endpoint.

    * Password grant (people): `username` is an email address or mobile number; answers an
      access token and a rotating refresh token.
    * Client credentials (integrators): `client_id` and `client_secret` as form fields or HTTP
      Basic, optional `scope`; answers an access token without a refresh token.
    """
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if form.grant_type == "client_credentials":
        credentials = clients_service.presented_credentials(
            request.headers.get("authorization"), form.client_id, form.client_secret
        )
        token, lifetime, scopes = clients_service.grant_client_token(
            session, settings=settings, credentials=credentials, scope=form.scope
        )
        return ClientTokenResponse(access_token=token, expires_in=lifetime, scope=" ".join(scopes))
    if form.grant_type not in (None, "password"):
        raise clients_service.oauth_error(
            400,
            ErrorCode.UNSUPPORTED_GRANT_TYPE,
            "Use grant_type `password` or `client_credentials`.",
        )
    username, password = _username_and_password(form)
    try:
        pair = service.login(
            session,
            settings=settings,
            hashing=hashing,
            username=username,
            password=password,
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

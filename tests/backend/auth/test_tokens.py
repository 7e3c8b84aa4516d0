"""Tokens: what the API accepts and what it refuses with 401."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from jose import jwt
from sqlalchemy import select

from backend.auth.models import RefreshToken
from backend.auth.tokens import ALGORITHM
from tests.backend.helpers import login


async def _token_pair(client, account) -> dict:
    response = await client.post(
        "/api/v1/auth/token", data={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _claims(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _assert_refused(client, token: str, code: str) -> None:
    response = await client.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_login_by_email_and_by_phone_in_any_form(client, demo):
    pair = await _token_pair(client, demo.resident)
    assert pair["token_type"] == "bearer" and pair["role"] == "resident"
    claims = _claims(pair["access_token"])
    assert {"iss", "aud", "exp", "iat", "sub", "jti", "type"} <= claims.keys()
    assert claims["type"] == "access"
    for phone in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890"):
        response = await client.post(
            "/api/v1/auth/token", data={"username": phone, "password": demo.resident.password}
        )
        assert response.status_code == 200, phone
        assert response.json()["role"] == "resident"


async def test_me_answers_with_the_token_owner(client, demo):
    headers = await login(client, demo.resident.username, demo.resident.password)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["email"] == demo.resident.username and me["role"] == "resident"


async def test_no_token_is_401_problem(client, demo):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


async def test_tampered_token_is_refused(client, demo):
    token = (await _token_pair(client, demo.resident))["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    await _assert_refused(client, f"{header}.{forged}.{signature}", "invalid_token")
    await _assert_refused(client, token[:-4] + "AAAA", "invalid_token")


async def test_unsigned_alg_none_token_is_refused(client, demo):
    claims = _claims((await _token_pair(client, demo.resident))["access_token"])
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    await _assert_refused(client, f"{header}.{payload}.", "invalid_token")


def _resign(settings, claims: dict, **changes) -> str:
    return jwt.encode({**claims, **changes}, settings.secret_key, algorithm=ALGORITHM)


async def test_expired_token_is_refused(client, demo, settings):
    claims = _claims((await _token_pair(client, demo.resident))["access_token"])
    past = datetime.now(UTC) - timedelta(minutes=5)
    token = _resign(settings, claims, exp=int(past.timestamp()))
    await _assert_refused(client, token, "token_expired")


async def test_wrong_audience_issuer_or_key_is_refused(client, demo, settings):
    claims = _claims((await _token_pair(client, demo.resident))["access_token"])
    await _assert_refused(client, _resign(settings, claims, aud="someone-else"), "invalid_token")
    await _assert_refused(client, _resign(settings, claims, iss="evil"), "invalid_token")
    other_key = jwt.encode(claims, "x" * 48, algorithm=ALGORITHM)
    await _assert_refused(client, other_key, "invalid_token")


async def test_token_missing_a_required_claim_is_refused(client, demo, settings):
    claims = _claims((await _token_pair(client, demo.resident))["access_token"])
    for claim in ("jti", "iat", "sub", "exp"):
        partial = {k: v for k, v in claims.items() if k != claim}
        token = jwt.encode(partial, settings.secret_key, algorithm=ALGORITHM)
        await _assert_refused(client, token, "invalid_token")


async def test_wrong_token_type_is_refused_both_ways(client, demo):
    pair = await _token_pair(client, demo.resident)
    await _assert_refused(client, pair["refresh_token"], "invalid_token")
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]}
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_refresh_rotates_and_reuse_revokes_the_family(client, demo):
    first = await _token_pair(client, demo.resident)
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/me", headers=_bearer(second["access_token"]))).is_success

    # The old refresh token is presented again: someone copied it. The whole session ends.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_token_reused"
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401 and after.json()["code"] == "token_revoked"
    await _assert_refused(client, second["access_token"], "token_revoked")


async def test_other_sessions_survive_a_reuse_elsewhere(client, demo):
    phone = await _token_pair(client, demo.resident)
    tablet = await _token_pair(client, demo.resident)
    await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert (await client.get("/api/v1/me", headers=_bearer(tablet["access_token"]))).is_success


async def test_refresh_tokens_are_stored_only_as_hashes(client, demo, session):
    pair = await _token_pair(client, demo.resident)
    stored = list(session.scalars(select(RefreshToken.token_hash)))
    assert pair["refresh_token"] not in stored
    assert hashlib.sha256(pair["refresh_token"].encode()).hexdigest() in stored


async def test_logout_ends_the_session(client, demo):
    pair = await _token_pair(client, demo.resident)
    response = await client.post("/api/v1/auth/logout", headers=_bearer(pair["access_token"]))
    assert response.status_code == 204
    await _assert_refused(client, pair["access_token"], "token_revoked")
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401

"""Rotating the city's signing key: new certificates get the new key, every certificate ever
issued still verifies offline against the published key set, revocation still shows online."""

import json
import time

import pytest
from jose import jwk, jws

import backend.config
from backend.cli import main as warga
from backend.main import create_app
from backend.permits.certificates import JWS_MARKER
from backend.permits.signing import city_key, retired_keys_file, rotate
from tests.backend.conftest import close_pools
from tests.backend.permits.test_permits_certificates import certificate_of, qr_payload


async def _token(permits, application: dict) -> str:
    return qr_payload(await certificate_of(permits, application)).split(JWS_MARKER)[1]


def _verify_offline(token: str, key_set: dict) -> dict:
    """What a verifier app does with the downloaded key set and no server."""
    kid = jws.get_unverified_header(token)["kid"]
    key = next(k for k in key_set["keys"] if k["kid"] == kid)
    return json.loads(jws.verify(token, jwk.construct(key), algorithms=["ES256"]))


async def test_after_rotation_old_and_new_certificates_both_verify_offline(
    permits, client, settings
):
    before = await permits.issued("izin-reklame")
    old_token = await _token(permits, before)
    old_kid, new_kid = rotate(settings)
    assert old_kid == jws.get_unverified_header(old_token)["kid"] != new_kid

    after = await permits.issued("sip-nakes")  # the running app picked up the new key
    new_token = await _token(permits, after)
    assert jws.get_unverified_header(new_token)["kid"] == new_kid

    key_set = (await client.get("/.well-known/jwks.json")).json()
    assert [key["kid"] for key in key_set["keys"]] == [new_kid, old_kid]
    assert all("d" not in key for key in key_set["keys"])  # public halves only
    for token, application in ((old_token, before), (new_token, after)):
        claims = _verify_offline(token, key_set)
        assert claims["num"] == application["permit"]["permit_number"]
        # iat is a JWT NumericDate: seconds since 1970, the moment of issue.
        assert isinstance(claims["iat"], int) and abs(claims["iat"] - time.time()) < 600

    # A second rotation keeps both earlier keys published.
    _, newest = rotate(settings)
    key_set = (await client.get("/.well-known/jwks.json")).json()
    assert [key["kid"] for key in key_set["keys"]] == [newest, new_kid, old_kid]
    assert _verify_offline(old_token, key_set)["num"] == before["permit"]["permit_number"]


async def test_revocation_still_shows_online_for_a_certificate_signed_by_a_retired_key(
    permits, client, settings
):
    application = await permits.issued("izin-reklame")
    token = await _token(permits, application)
    rotate(settings)
    await permits.act(
        permits.demo.supervisor("dpmptsp"), application, "revoke", {"reason": "Palsu."}
    )
    key_set = (await client.get("/.well-known/jwks.json")).json()
    claims = _verify_offline(token, key_set)  # the signature is still the city's ...
    answer = (await client.get(f"/api/v1/verifications/{claims['vc']}")).json()
    assert answer["result"] == "revoked" and answer["valid"] is False  # ... but it is revoked


def test_warga_keys_rotate(monkeypatch, settings, capsys):
    monkeypatch.setenv("WARGA_SIGNING_KEY_FILE", str(settings.signing_key_file))
    backend.config.get_settings.cache_clear()
    try:
        first = city_key(backend.config.get_settings()).kid
        assert warga(["keys", "rotate"]) == 0
        rotated = city_key(backend.config.get_settings())
    finally:
        backend.config.get_settings.cache_clear()
    printed = capsys.readouterr().out
    assert rotated.kid != first and rotated.kid in printed and first in printed
    assert settings.signing_key_file.stat().st_mode & 0o777 == 0o600
    retired = json.loads(retired_keys_file(settings).read_text())["keys"]
    assert [key["kid"] for key in retired] == [first]
    assert all("d" not in key for key in retired)


@pytest.fixture
def settings(settings):
    # A key of this test's own: rotating must not touch the keys other tests share.
    return settings.model_copy(
        update={
            "signing_key_file": settings.signing_key_file.with_name(f"key-{time.time_ns()}.pem")
        }
    )


@pytest.fixture
async def app(settings, engine):
    """An app of its own, on this test's key (the other permit tests share one app)."""
    app = create_app(settings)
    yield app
    await close_pools(app)

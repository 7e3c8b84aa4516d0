"""API clients over a real server: the client-credentials grant, scopes per operation, agency
binding, rotation, revocation, rate limits, the audit trail and `warga clients create`."""

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.backend.complaints.complaint_helpers import WASTE, complaint_body
from tests.backend.integrations.integration_helpers import (
    TOKEN,
    admin,
    client_token,
    create_client,
    officer,
)
from tests.live_server import REPO_ROOT, LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("clients"), demo_content=False) as running:
        yield running


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


def _grant(http: httpx.Client, **data) -> httpx.Response:
    return http.post(TOKEN, data={"grant_type": "client_credentials", **data})


def test_client_credentials_in_the_form_and_by_http_basic(server, http):
    client = create_client(http, "complaints:read complaints:write")
    assert client["client_secret"].startswith("wcs_")

    by_form = _grant(http, client_id=client["client_id"], client_secret=client["client_secret"])
    assert by_form.status_code == 200, by_form.text
    assert by_form.headers["cache-control"] == "no-store"
    body = by_form.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["scope"] == "complaints:read complaints:write"  # none asked: all of them

    # RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded.
    pair = f"{quote(client['client_id'], safe='')}:{quote(client['client_secret'], safe='')}"
    basic = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    by_basic = http.post(TOKEN, data={"grant_type": "client_credentials"}, headers=basic)
    assert by_basic.status_code == 200, by_basic.text
    narrowed = http.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": "complaints:read"}, headers=basic
    )
    assert narrowed.json()["scope"] == "complaints:read"

    # Stored only as a hash: the secret itself is nowhere in the database.
    engine = create_engine(server.database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT secret_hash FROM api_client WHERE client_id = :id"),
            {"id": client["client_id"]},
        ).scalar_one()
    engine.dispose()
    assert stored == hashlib.sha256(client["client_secret"].encode()).hexdigest()
    shown = http.get(f"/api/v1/admin/clients/{client['client_id']}", headers=admin(http)).json()
    assert "client_secret" not in shown


def test_token_errors_follow_rfc_6749_inside_problem_details(http):
    client = create_client(http, "complaints:read")
    wrong = "wrong-secret"
    basic = {
        "Authorization": "Basic "
        + base64.b64encode(f"{client['client_id']}:{wrong}".encode()).decode()
    }
    by_basic = http.post(TOKEN, data={"grant_type": "client_credentials"}, headers=basic)
    assert by_basic.status_code == 401
    assert by_basic.headers["www-authenticate"].startswith("Basic")
    assert by_basic.headers["content-type"] == "application/problem+json"
    assert by_basic.json()["code"] == by_basic.json()["error"] == "invalid_client"

    by_form = _grant(http, client_id=client["client_id"], client_secret=wrong)
    assert by_form.status_code == 401 and by_form.json()["error"] == "invalid_client"
    assert by_form.headers["www-authenticate"].startswith("Basic")
    unknown = _grant(http, client_id="wc_nobody", client_secret=client["client_secret"])
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"

    for scope in ("complaints:write", "no-such-scope"):
        refused = _grant(
            http, client_id=client["client_id"], client_secret=client["client_secret"], scope=scope
        )
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_scope"

    odd = http.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"})
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"
    assert odd.headers["content-type"] == "application/problem+json"


def test_each_operation_accepts_only_its_scopes_and_never_a_person_only_one(server, http):
    client = create_client(http, "complaints:read complaints:write")
    reader = client_token(http, client, scope="complaints:read")
    writer = client_token(http, client, scope="complaints:write")

    refused = http.post("/api/v1/complaints", json=complaint_body(), headers=reader)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]

    filed = http.post(
        "/api/v1/complaints", json=complaint_body(title="Lubang dari sistem"), headers=writer
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["reporter"]["full_name"] == "Sistem Uji"  # the client's channel
    queue = http.get("/api/v1/complaints/queue", headers=officer(http, "dbmsda")).json()["items"]
    assert filed.json()["id"] in [item["id"] for item in queue]

    # A client is neither a resident nor an officer.
    for method, path in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/complaints/mine"),
        ("GET", "/api/v1/notifications"),
        ("POST", f"/api/v1/complaints/{filed.json()['id']}/actions/verify"),
    ]:
        answer = http.request(method, path, headers=writer, json={})
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["code"] == "client_not_allowed"
    # An unbound client has no agency queue.
    assert http.get("/api/v1/complaints/queue", headers=reader).status_code == 403


def test_an_agency_bound_client_reads_only_its_agencys_queue(http):
    writer = client_token(http, create_client(http, "complaints:write"))
    road = http.post("/api/v1/complaints", json=complaint_body(title="Jalan rusak"), headers=writer)
    waste = http.post(
        "/api/v1/complaints",
        json=complaint_body(title="Sampah liar", category=WASTE, answers={"jenis_lokasi": "tps"}),
        headers=writer,
    )
    assert road.status_code == waste.status_code == 201, waste.text
    roads_system = client_token(http, create_client(http, "complaints:read", agency="dbmsda"))
    ids = [
        item["id"]
        for item in http.get("/api/v1/complaints/queue", headers=roads_system).json()["items"]
    ]
    assert road.json()["id"] in ids and waste.json()["id"] not in ids


def test_rotation_keeps_the_old_secret_for_a_grace_period_and_revocation_ends_everything(
    server, http
):
    client = create_client(http, "complaints:read")
    old_token = client_token(http, client)
    rotated = http.post(
        f"/api/v1/admin/clients/{client['client_id']}/rotate-secret", headers=admin(http)
    )
    assert rotated.status_code == 200
    new = {**client, "client_secret": rotated.json()["client_secret"]}
    assert new["client_secret"] != client["client_secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    client_token(http, new)
    client_token(http, client)  # still inside the grace period

    engine = create_engine(server.database_url)
    with engine.begin() as connection:  # the grace period ends
        connection.execute(
            text(
                "UPDATE api_client SET previous_secret_expires_at = '2000-01-01 00:00:00'"
                " WHERE client_id = :id"
            ),
            {"id": client["client_id"]},
        )
    engine.dispose()
    expired = _grant(http, client_id=client["client_id"], client_secret=client["client_secret"])
    assert expired.status_code == 401

    revoked = http.post(f"/api/v1/admin/clients/{client['client_id']}/revoke", headers=admin(http))
    assert revoked.json()["revoked_at"] is not None
    assert (
        _grant(http, client_id=new["client_id"], client_secret=new["client_secret"]).status_code
        == 401
    )
    using_old_token = http.get("/api/v1/complaints/queue", headers=old_token)
    assert using_old_token.status_code == 401
    assert using_old_token.json()["code"] == "token_revoked"


def test_rate_limit_last_use_and_audit(http):
    client = create_client(http, "complaints:write", rate_limit_per_minute=2)
    token = client_token(http, client)
    statuses = [
        http.post("/api/v1/complaints", json=complaint_body(), headers=token).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    limited = http.post("/api/v1/complaints", json=complaint_body(), headers=token)
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    shown = http.get(f"/api/v1/admin/clients/{client['client_id']}", headers=admin(http)).json()
    assert shown["last_used_at"] is not None
    audit = http.get(f"/api/v1/admin/clients/{client['client_id']}/audit", headers=admin(http))
    assert [(e["method"], e["path"]) for e in audit.json()] == [("POST", "/api/v1/complaints")] * 2


def test_warga_clients_create_prints_credentials_that_work(server, http):
    command = [
        sys.executable, "-m", "backend.cli", "clients", "create",
        "--name", "LAPOR!", "--scopes", "open311 complaints:read", "--json",
    ]  # fmt: skip
    environment = {**os.environ, **server.environment}
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["scopes"] == ["open311", "complaints:read"]
    answer = _grant(http, client_id=printed["client_id"], client_secret=printed["client_secret"])
    assert answer.status_code == 200 and answer.json()["scope"] == "open311 complaints:read"

    refused = subprocess.run(
        [*command[:6], "--scopes", "everything", "--json"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode == 2 and "scopes" in refused.stderr


def test_the_openapi_document_declares_both_flows_and_each_operations_scopes(http):
    document = http.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert "password" in schemes["OAuth2PasswordBearer"]["flows"]
    assert "clientCredentials" in schemes["OAuth2ClientCredentials"]["flows"]
    paths = document["paths"]
    filing = paths["/api/v1/complaints"]["post"]["security"]
    assert sorted(filing, key=str) == [
        {"OAuth2ClientCredentials": ["complaints:write"]},
        {"OAuth2PasswordBearer": []},
    ]
    assert paths["/api/v1/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert {"OAuth2ClientCredentials": ["complaints:read"]} in paths["/api/v1/public/complaints"][
        "get"
    ]["security"]


def test_stats_read_opens_the_life_room_within_the_clients_agency(http):
    city = client_token(http, create_client(http, "stats:read"))
    roads = client_token(http, create_client(http, "stats:read", agency="dbmsda"))
    no_scope = client_token(http, create_client(http, "complaints:read"))

    whole_city = http.get("/api/v1/dashboard", headers=city)
    assert whole_city.status_code == 200, whole_city.text
    assert whole_city.json()["agency_code"] is None
    waste = http.get("/api/v1/dashboard", params={"agency": "dlh"}, headers=city)
    assert waste.json()["agency_code"] == "dlh"
    own = http.get("/api/v1/dashboard", headers=roads)
    assert own.json()["agency_code"] == "dbmsda"
    other = http.get("/api/v1/dashboard", params={"agency": "dlh"}, headers=roads)
    assert other.status_code == 403
    refused = http.get("/api/v1/dashboard", headers=no_scope)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"


def test_an_admin_changes_a_clients_limit_and_takes_scopes_away_at_once(http):
    client = create_client(http, "complaints:read complaints:write")
    token = client_token(http, client)
    path = f"/api/v1/admin/clients/{client['client_id']}"
    changed = http.patch(
        path, json={"scopes": ["complaints:read"], "rate_limit_per_minute": 5}, headers=admin(http)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["scopes"] == ["complaints:read"]
    assert changed.json()["rate_limit_per_minute"] == 5
    # The token was issued with complaints:write; that scope is gone now.
    refused = http.post("/api/v1/complaints", json=complaint_body(), headers=token)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"

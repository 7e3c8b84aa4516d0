"""Problem details for every error, probes, request ids, logs, OpenAPI and settings."""

import io
import logging

import httpx
import pytest
from pydantic import ValidationError

from backend.config import DEVELOPMENT_SECRET, Settings
from backend.main import create_app
from backend.observability import JsonFormatter


def _is_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].startswith("https://") and body["title"]
    return body


async def test_unknown_route_is_a_404_problem(client):
    body = _is_problem(await client.get("/api/v1/nothing-here"), 404, "not_found")
    assert body["instance"] == "/api/v1/nothing-here"


async def test_wrong_method_is_a_405_problem(client):
    _is_problem(await client.delete("/healthz"), 405, "method_not_allowed")


async def test_malformed_body_is_a_422_problem_naming_fields(client):
    response = await client.post(
        "/api/v1/accounts", content=b"{not json", headers={"content-type": "application/json"}
    )
    _is_problem(response, 422, "validation_failed")
    missing = await client.post("/api/v1/accounts", json={"email": "a@example.com"})
    body = _is_problem(missing, 422, "validation_failed")
    assert {"full_name", "password"} <= {e["field"] for e in body["errors"]}


async def test_problem_titles_follow_accept_language(client):
    english = await client.get("/api/v1/nothing", headers={"Accept-Language": "en-US,en;q=0.9"})
    indonesian = await client.get("/api/v1/nothing", headers={"Accept-Language": "id"})
    assert english.json()["title"] != indonesian.json()["title"]


async def test_unexpected_error_is_a_500_problem_without_internals(settings):
    app = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")
    body = _is_problem(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert body["instance"] == "/boom"


async def test_probes(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_readyz_is_503_when_the_database_is_unreachable(settings, tmp_path):
    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    transport = httpx.ASGITransport(app=create_app(broken))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/readyz")
    _is_problem(response, 503, "service_unavailable")


async def test_request_id_is_echoed_or_assigned(client):
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    assigned = await client.get("/healthz")
    assert len(assigned.headers["x-request-id"]) == 32
    hostile = await client.get("/healthz", headers={"X-Request-ID": 'a"b c' * 100})
    assert hostile.headers["x-request-id"] != 'a"b c' * 100


async def test_logs_are_json_with_request_id_and_no_secrets(client, demo):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("warga")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = await client.post(
            "/api/v1/auth/token?password=leak",
            data={"username": demo.resident.username, "password": demo.resident.password},
            headers={"X-Request-ID": "trace-42"},
        )
        token = response.json()["access_token"]
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        logger.warning("header was Authorization: Bearer %s", token)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    output = stream.getvalue()
    assert '"request_id": "trace-42"' in output
    assert demo.resident.password not in output
    assert token not in output
    assert "leak" not in output


async def test_openapi_describes_the_api(client):
    schema = (await client.get("/openapi.json")).json()
    assert schema["info"]["title"] == "Warga API" and schema["info"]["version"]
    assert {t["name"] for t in schema["tags"]} >= {"auth", "accounts", "admin", "region"}
    assert all(t.get("description") for t in schema["tags"])
    operations = [op for path in schema["paths"].values() for op in path.values()]
    tags = {t["name"] for t in schema["tags"]}
    assert all(op["operationId"].startswith(f"{op['tags'][0]}-") for op in operations)
    assert all(op["tags"][0] in tags for op in operations)
    assert "auth-login" in {op["operationId"] for op in operations}
    security = schema["components"]["securitySchemes"]
    assert any(s["type"] == "oauth2" and "password" in s["flows"] for s in security.values())
    register = schema["paths"]["/api/v1/accounts"]["post"]
    body_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert body_schema.get("examples")
    assert "application/problem+json" in register["responses"]["422"]["content"]


async def test_docs_page_works_without_internet(client):
    response = await client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
    assert "cdn." not in response.text  # every asset comes from this server
    script = await client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_production_refuses_the_development_secret_and_a_missing_signing_key(tmp_path):
    key = tmp_path / "city-key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(ValidationError, match="development secret"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET, signing_key_file=key)
    with pytest.raises(ValidationError, match="WARGA_SIGNING_KEY_FILE"):
        Settings(environment="production", secret_key="s" * 48, signing_key_file=tmp_path / "no")
    Settings(
        environment="production",
        secret_key="s" * 48,
        signing_key_file=key,
        public_url="https://warga.example.go.id",
    )


async def test_openapi_documents_every_error_as_problem_json(client):
    # FastAPI's own 422 said `application/json` with a schema no response has; a body that is
    # not JSON at all answers 400, which was not documented.
    schema = (await client.get("/openapi.json")).json()
    problem = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}
    }
    for path, operations in schema["paths"].items():
        if path.startswith("/open311/"):  # GeoReport v2 has its own error list (text/xml too)
            continue
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and "text/html" not in response["content"]:
                    assert response["content"] == problem, (method, path, status)
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]

    unparsable = await client.post(
        "/api/v1/accounts", content=b"\xff{", headers={"Content-Type": "application/json"}
    )
    assert unparsable.status_code == 400
    assert unparsable.headers["content-type"] == "application/problem+json"

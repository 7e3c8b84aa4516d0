"""Helpers the integration tests share: an admin session, clients and their tokens."""

import httpx

from backend.demo_accounts import ADMIN_PASSWORD, OFFICER_PASSWORD, STAFF_DOMAIN

TOKEN = "/api/v1/auth/token"


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = http.post(TOKEN, data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def admin(http: httpx.Client) -> dict[str, str]:
    return login(http, f"admin@{STAFF_DOMAIN}", ADMIN_PASSWORD)


def officer(http: httpx.Client, agency: str) -> dict[str, str]:
    return login(http, f"petugas.{agency}@{STAFF_DOMAIN}", OFFICER_PASSWORD)


def create_client(http: httpx.Client, scopes: str, **fields) -> dict:
    """Register a client as the demo admin; returns its credentials (secret included)."""
    body = {"name": fields.pop("name", "Sistem Uji"), "scopes": scopes.split(), **fields}
    response = http.post("/api/v1/admin/clients", json=body, headers=admin(http))
    assert response.status_code == 201, response.text
    return response.json()


def client_token(http: httpx.Client, client: dict, scope: str | None = None) -> dict[str, str]:
    data = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    if scope is not None:
        data["scope"] = scope
    response = http.post(TOKEN, data=data)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

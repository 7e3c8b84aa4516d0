"""Small helpers the backend tests share."""

import httpx


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in through the token endpoint and return the Authorization header."""
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

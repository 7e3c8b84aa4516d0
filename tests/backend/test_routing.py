"""Every documented operation is still reached through the routers that turn away other
routers' paths early (`backend.routing.PrefixRouter`), and a path no route has is still the
router's plain 404."""

import re

from backend.routing import fixed_start

_PARAMETER = re.compile(r"\{[^}]+\}")


def test_the_fixed_start_is_the_text_before_the_first_parameter():
    assert fixed_start("/api/v1/complaints/{complaint_id}/photos") == "/api/v1/complaints/"
    assert fixed_start("/api/v1/me") == "/api/v1/me"


def _routed_nowhere(response) -> bool:
    # The router's own 404 keeps Starlette's "Not Found"; a handler's 404 says what is missing.
    if response.status_code != 404 or "problem+json" not in response.headers["content-type"]:
        return False
    return response.json()["detail"] == "Not Found"


async def test_every_documented_operation_is_routed(client):
    document = (await client.get("/openapi.json")).json()
    operations = [
        (method, _PARAMETER.sub("1", path))
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 100
    # No caller and no body: each answers 401, 403, 404 of its own, 405 or 422, or serves a
    # public read, but none falls through the routers.
    unrouted = [
        (method, path)
        for method, path in operations
        if _routed_nowhere(await client.request(method, path))
    ]
    assert unrouted == []


async def test_a_path_no_router_has_is_not_found(client):
    for path in ("/api/v1/no-such-thing", "/api/v1/permitsx", "/open311x"):
        assert _routed_nowhere(await client.get(path))

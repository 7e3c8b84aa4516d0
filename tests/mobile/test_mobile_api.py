"""The app's API client and token store against the real server: problems, refresh, logout."""

import asyncio
import time

import pytest
from jose import jwt

from backend.auth.tokens import ALGORITHM
from backend.config import DEVELOPMENT_SECRET
from mobile.core.api import ApiClient, ApiError, Offline
from mobile.core.tokens import TokenStore


def expired(token: str) -> str:
    """The same access token, re-signed as the server would have issued it a while ago."""
    claims = jwt.get_unverified_claims(token)
    claims["iat"], claims["exp"] = int(time.time()) - 3600, int(time.time()) - 60
    return jwt.encode(claims, DEVELOPMENT_SECRET, algorithm=ALGORITHM)


@pytest.fixture
def client(api_server, make_client):
    return make_client(api_server.base_url)


async def login_with_expired_access(api: ApiClient, api_server) -> str:
    resident = api_server.account("resident")
    session = await api.login(resident.username, resident.password)
    stale = expired(session.access_token)
    api.tokens.save(type(session)(stale, session.refresh_token, session.role, session.agency_code))
    return session.refresh_token


async def test_login_keeps_the_session_across_restarts_and_logout_clears_it(
    client, api_server, tmp_path
):
    officer = api_server.account("officer", "dlh")
    session = await client.login(officer.username, officer.password)
    assert (session.role, session.agency_code) == ("officer", "dlh")

    restarted = TokenStore(tmp_path / "tokens")
    assert restarted.session == session
    await client.logout()
    assert client.tokens.session is None and TokenStore(tmp_path / "tokens").session is None


async def test_a_login_while_the_logout_is_on_its_way_keeps_its_own_session(client, api_server):
    """Sign-out sends its logout in the background: the next person on the phone may sign in
    before the server has answered it. The old session still ends on the server; the new one
    is not dropped when the old logout's answer arrives."""
    resident, neighbour = [a for a in api_server.accounts if a.role == "resident"][:2]
    leaving = await client.login(resident.username, resident.password)
    logout_arrived, login_done = asyncio.Event(), asyncio.Event()
    send = client.transport.handle_async_request

    async def held_logout(request):
        if request.url.path == "/api/v1/auth/logout":
            logout_arrived.set()
            await login_done.wait()  # answered only once the next person has signed in
        return await send(request)

    client.transport.handle_async_request = held_logout
    logout = asyncio.create_task(client.logout())
    await logout_arrived.wait()
    arriving = await client.login(neighbour.username, neighbour.password)
    login_done.set()
    await logout

    assert client.tokens.session == arriving
    assert (await client.me()).data["email"] == neighbour.username
    client.tokens.save(leaving)  # the old session's token is refused: it did end
    with pytest.raises(ApiError) as refused:
        await client.me()
    assert refused.value.status == 401


@pytest.mark.parametrize("server_saw_it_first", [True, False])
async def test_a_refresh_answered_after_a_sign_out_leaves_the_next_session_alone(
    client, api_server, server_saw_it_first
):
    """A request found its token expired and is refreshing it when the person signs out and
    the next one signs in. Whether that refresh reached the server before the sign-out (it
    succeeds, late) or after (the sign-out rotated the refresh token, so it is refused as
    reused), its answer neither brings the old session back nor drops the new one."""
    await login_with_expired_access(client, api_server)
    neighbour = [a for a in api_server.accounts if a.role == "resident"][1]
    refresh_sent, signed_in_again = asyncio.Event(), asyncio.Event()
    send = client.transport.handle_async_request

    async def held_first_refresh(request):
        if request.url.path != "/api/v1/auth/refresh" or refresh_sent.is_set():
            return await send(request)
        refresh_sent.set()
        if server_saw_it_first:
            response = await send(request)
            await signed_in_again.wait()
            return response
        await signed_in_again.wait()
        return await send(request)

    client.transport.handle_async_request = held_first_refresh
    reading = asyncio.create_task(client.me())
    await refresh_sent.wait()
    await client.logout()
    arriving = await client.login(neighbour.username, neighbour.password)
    signed_in_again.set()

    with pytest.raises(ApiError) as refused:
        await reading
    assert refused.value.status == 401
    assert client.tokens.session == arriving
    assert (await client.me()).data["email"] == neighbour.username


async def test_logout_with_an_expired_access_token_still_ends_the_session(client, api_server):
    refresh_token = await login_with_expired_access(client, api_server)

    await client.logout()

    assert client.tokens.session is None
    assert client.transport.count("/api/v1/auth/logout") == 2  # refused as expired, then ended
    refused = await client._send(
        "POST", "/auth/refresh", token=None, json={"refresh_token": refresh_token}
    )
    assert refused.status_code == 401


async def test_expired_access_token_is_refreshed_once_and_the_request_retried(client, api_server):
    old_refresh = await login_with_expired_access(client, api_server)

    me = (await client.me()).data

    assert me["email"] == api_server.account("resident").username
    assert client.transport.count("/api/v1/auth/refresh") == 1
    assert client.transport.count("/api/v1/me") == 2  # the refused one and the retry
    assert client.tokens.session.refresh_token != old_refresh  # rotated and saved


async def test_concurrent_requests_share_one_refresh(client, api_server):
    await login_with_expired_access(client, api_server)

    # The server revokes the session when a refresh token is used twice, so this only passes
    # if exactly one of the five requests refreshed.
    results = await asyncio.gather(*(client.me() for _ in range(5)))

    assert len({r.data["id"] for r in results}) == 1
    assert client.transport.count("/api/v1/auth/refresh") == 1


async def test_a_refused_refresh_signs_out(client, api_server):
    await login_with_expired_access(client, api_server)
    session = client.tokens.session
    client.tokens.save(type(session)(session.access_token, "not-a-token", session.role, None))

    with pytest.raises(ApiError) as caught:
        await client.me()

    assert caught.value.status == 401
    assert client.tokens.session is None


async def test_problem_details_are_parsed_with_their_field_errors(client):
    with pytest.raises(ApiError) as caught:
        await client.register(full_name="Rina", email="siti@example.com", password="x")
    error = caught.value
    assert (error.status, error.code) == (422, "weak_password")
    assert error.title == "Kata sandi terlalu lemah"  # Accept-Language follows the app: id
    assert error.field_errors()["password"].code == "weak_password"
    assert error.permanent

    client.language = "en"
    with pytest.raises(ApiError) as caught:
        await client.register(
            full_name="Rina", email="siti@example.com", password="kopi-susu-di-serpong"
        )
    assert (caught.value.status, caught.value.code) == (409, "email_taken")
    assert caught.value.title == "Email already registered"
    assert list(caught.value.field_errors()) == ["email"]


async def test_unreachable_server_raises_offline(unreachable_url, tmp_path):
    api = ApiClient(unreachable_url, tokens=TokenStore(tmp_path))
    with pytest.raises(Offline):
        await api.agencies()
    await api.aclose()


async def test_a_get_whose_connection_closes_under_it_is_sent_again(tmp_path):
    """A server may close a kept-alive connection just as the app reuses it: the GET is sent
    again on a new connection instead of showing the person stale data as if offline. A
    write is not sent twice."""
    requests_seen: list[bytes] = []
    answer = b'{"items": [], "next_cursor": null}'

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        requests_seen.append(head.split(b"\r\n")[0])
        body_length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        await reader.readexactly(body_length)
        if len(requests_seen) % 2:  # every other request: closed without an answer
            writer.close()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(answer)}\r\nconnection: close\r\n\r\n".encode()
            + answer
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    api = ApiClient(f"http://127.0.0.1:{port}", tokens=TokenStore(tmp_path))
    try:
        fetched = await api.agencies()
        assert fetched.data == {"items": [], "next_cursor": None} and not fetched.stale
        assert len(requests_seen) == 2
        with pytest.raises(Offline):  # the third request is dropped, and a POST is not resent
            await api.send("POST", "/complaints", body={"title": "x"})
        assert len(requests_seen) == 3
    finally:
        await api.aclose()
        server.close()
        await server.wait_closed()

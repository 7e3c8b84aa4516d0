"""Small helpers the app's tests share."""

import httpx

from mobile.core.api import ApiClient
from mobile.core.tokens import TokenStore


class RecordingTransport(httpx.AsyncHTTPTransport):
    """A real transport that remembers every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)

    def count(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)


class RecordedClient(ApiClient):
    """An `ApiClient` whose requests can be inspected through `.transport`."""

    def __init__(self, base_url: str, tokens: TokenStore, **kwargs) -> None:
        self.transport = RecordingTransport()
        super().__init__(base_url, tokens=tokens, transport=self.transport, **kwargs)

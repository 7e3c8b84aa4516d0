"""FastAPI's OpenTelemetry instrumentation is off unless `WARGA_OPENTELEMETRY` turns it on; then
every request is a span sent to the process's tracer provider."""

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backend.main import create_app
from tests.backend.conftest import close_pools

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider():
    # The global provider can be set once per process; the other tests' apps leave it unused.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(provider)


async def _spans_of_one_request(settings, *, opentelemetry: bool) -> list[str]:
    app = create_app(settings.model_copy(update={"opentelemetry": opentelemetry}))
    SPANS.clear()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/api/v1/region")).status_code == 200
    await close_pools(app)
    return [span.name for span in SPANS.get_finished_spans()]


async def test_requests_are_traced_only_when_asked(settings, demo):
    assert await _spans_of_one_request(settings, opentelemetry=False) == []
    traced = await _spans_of_one_request(settings, opentelemetry=True)
    assert any("/api/v1/region" in name for name in traced), traced

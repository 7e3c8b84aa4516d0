"""The application factory: ``create_app()`` wires settings, database, errors and every domain."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import text
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend.accounts.me import router as me_router
from backend.accounts.passwords import PasswordHashing
from backend.accounts.router import admin_router
from backend.accounts.router import router as accounts_router
from backend.admission import RequestSlots
from backend.auth.router import router as auth_router
from backend.changes import channel_for
from backend.clients.openapi import declare_scopes
from backend.clients.router import router as clients_router
from backend.complaints.public import router as public_complaints_router
from backend.complaints.router import router as complaints_router
from backend.config import Settings, get_settings
from backend.database import open_engines
from backend.edge import RequestBodyLimit, body_limits, refuse_unstorable_input
from backend.errors import (
    Unavailable,
    document_problems,
    error_responses,
    install_error_handlers,
)
from backend.information.router import router as information_router
from backend.jobs import run_jobs_every
from backend.memory import limit_malloc_arenas
from backend.notifications.router import router as notifications_router
from backend.observability import RequestIdMiddleware, configure_logging
from backend.open311.router import router as open311_router
from backend.permits.router import register_router, verification_router
from backend.permits.router import router as permits_router
from backend.ratelimit import RateLimitHeaders, WriteLimits
from backend.region.router import router as region_router
from backend.security_headers import SecurityHeaders, page_policy
from backend.stats import tallies
from backend.stats.router import router as stats_router
from backend.webhooks.delivery import run_forever as deliver_webhooks
from backend.webhooks.router import router as webhooks_router

VERSION = "0.1.0"
OPENAPI_URL = "/openapi.json"
# Swagger UI is served from the package, not a CDN: city networks are often closed to the internet.
SWAGGER_UI = Path(__file__).parent / "static" / "vendor" / "swagger-ui"

DESCRIPTION = """
Warga is a citizen-services platform for Indonesian cities: residents apply for permits and
report problems, officers work their agency's queues against working-day deadlines, and third
parties integrate through this API.

* Authenticate with **Authorize** (OAuth2 password flow; `username` is an email or mobile number).
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details with a stable
  `code`.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor`.
"""

TAGS = [
    {"name": "auth", "description": "Tokens: log in, refresh (rotating), log out."},
    {"name": "accounts", "description": "Register as a resident; read and edit your own profile."},
    {
        "name": "admin",
        "description": "Staff accounts and deactivation; API clients for integrators (admins "
        "only).",
    },
    {"name": "region", "description": "The city: agencies, complaint categories, permit types."},
    {
        "name": "complaints",
        "description": "Residents file and follow complaints; officers work their agency's "
        "queue through explicit actions against working-day deadlines.",
    },
    {
        "name": "public",
        "description": "No login: the public complaint feed, its GeoJSON map layer and likely "
        "duplicates nearby. Never shows confidential complaints or anonymous reporters' names.",
    },
    {
        "name": "permits",
        "description": "Apply for a permit, follow it through its review steps, pay and download "
        "the certificate; officers and supervisors review against working-day deadlines.",
    },
    {
        "name": "verification",
        "description": "No login: check an issued permit by its certificate's code, and the "
        "city's public key for checking certificates offline.",
    },
    {"name": "register", "description": "No login: the public register of issued permits (BLDS)."},
    {
        "name": "information",
        "description": "Announcements, the agency directory, the service catalogue (Standar "
        "Pelayanan) with FAQs, information pages and search, in the reader's language "
        "(`Accept-Language`: `id` or `en`). Reads need no login and answer 304 to a current "
        "`If-None-Match`; admins and supervisors write.",
    },
    {
        "name": "notifications",
        "description": "The caller's inbox: entries for changes to their complaints and "
        "permits, expiry reminders, announcements of followed agencies and, for staff, work "
        "routed to them; plus a live Server-Sent Events stream.",
    },
    {
        "name": "dashboard",
        "description": "The Life Room: every agency's complaint and permit figures in one place "
        "(admins: the city or one agency; supervisors: their agency), and a density grid.",
    },
    {
        "name": "opendata",
        "description": "No login: complaints (without personal data) and issued permits of a "
        "period as CSV or JSON, streamed.",
    },
    {
        "name": "webhooks",
        "description": "Signed event notifications (Standard Webhooks) for integrators: "
        "subscribe a URL, read each delivery attempt, resend.",
    },
    {
        "name": "open311",
        "description": "Open311 GeoReport v2 (XML and JSON): services are complaint categories, "
        "service requests are complaints. Errors are Open311 error lists.",
    },
    {"name": "operations", "description": "Liveness and readiness probes."},
]


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


class Health(BaseModel):
    status: str


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    limit_malloc_arenas()  # before the thread pool starts: see backend/memory.py

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = None
        if settings.jobs_interval_seconds:
            jobs = asyncio.create_task(run_jobs_every(app.state.engine, settings))
        # Every server process delivers webhooks; the claims keep each attempt to one of them.
        delivery = asyncio.create_task(
            deliver_webhooks(app.state.engine, app.state.settings, app.state.changes)
        )
        # And folds the Life Room's pending tally rows (folds beside each other are safe).
        folding = asyncio.create_task(tallies.fold_every(app.state.engine))
        yield
        for task in (jobs, delivery, folding):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        app.state.engine.dispose()
        if app.state.read_engine is not None:
            await app.state.read_engine.dispose()

    app = FastAPI(
        title="Warga API",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        dependencies=[Depends(refuse_unstorable_input)],
        telemetry={
            "tracing": settings.opentelemetry,
            "metrics": settings.opentelemetry,
            "logs": settings.opentelemetry,
        },
    )
    app.state.settings = settings
    app.state.engine, app.state.read_engine = open_engines(
        settings.database_url, options=settings.engine_options()
    )
    # Made here so that it listens where the settings say (its users find it by database URL).
    app.state.changes = channel_for(
        settings.database_url, listen_url=settings.change_channel_database_url
    )
    app.state.password_hashing = PasswordHashing(settings)
    app.state.write_limits = WriteLimits(settings, app.state.engine)

    install_error_handlers(app)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_scopes(document_problems(build_openapi()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it
    # Innermost middleware: a 503 for a busy server still gets CORS headers and a request id.
    app.add_middleware(
        RequestSlots, slots=settings.request_slots, wait_seconds=settings.request_queue_seconds
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy"],
        )
    app.add_middleware(RequestBodyLimit, limits=body_limits(settings))
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeaders)
    # Outermost: every later step (logs, throttles) sees the real client, not the proxy.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    # FastAPI tries the routers in order; each turns away other routers' paths at once
    # (`backend.routing.PrefixRouter`), so the order costs little, and the busiest still come
    # first. Their paths overlap no other router's, but for `/me`: its GET, asked most of all,
    # comes before everything, and a PATCH goes on past it to the accounts router.
    for router in (me_router, public_complaints_router, complaints_router, notifications_router):
        app.include_router(router)
    for router in (auth_router, accounts_router, admin_router, clients_router, region_router):
        app.include_router(router)
    for router in (permits_router, verification_router, register_router):
        app.include_router(router)
    app.include_router(information_router)
    app.include_router(stats_router)
    app.include_router(webhooks_router)
    app.include_router(open311_router)

    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    docs_page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{app.title} – docs",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        # No validator badge: it is an image from swagger.io, which a closed network cannot reach
        # and the page's policy would not load anyway.
        swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
    ).body
    # Swagger UI's bundle and style sheet from this server, its one inline start-up script by
    # hash; it styles elements from script (inline styles) and draws icons as data: URLs.
    docs_policy = page_policy(
        bytes(docs_page).decode(),
        script_src="'self'",
        style_src="'self' 'unsafe-inline'",
        img_src="'self' data:",
        connect_src="'self'",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page, headers={"Content-Security-Policy": docs_policy})

    @app.get("/healthz", tags=["operations"], response_model=Health)
    def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", tags=["operations"], response_model=Health, responses=error_responses(503))
    def readyz() -> Health:
        """The database answers."""
        try:
            with app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise Unavailable("The database is not reachable.") from exc
        return Health(status="ready")

    return app

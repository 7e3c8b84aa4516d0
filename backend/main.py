"""The application factory: ``create_app()`` wires settings, database, errors and every domain."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import text

from backend import __doc__ as package_doc
from backend.accounts.passwords import PasswordHashing
from backend.accounts.router import admin_router
from backend.accounts.router import router as accounts_router
from backend.auth.router import router as auth_router
from backend.config import Settings, get_settings
from backend.db import make_engine
from backend.errors import Unavailable, error_responses, install_error_handlers
from backend.observability import RequestIdMiddleware, configure_logging
from backend.region.router import router as region_router

VERSION = "0.1.0"

DESCRIPTION = """
Warga is a citizen-services platform for Indonesian cities: residents apply for permits and
report problems, officers work their agency's queues against working-day deadlines, and third
parties integrate through this API.

* Authenticate with **Authorize** (OAuth2 password flow; `username` is an email or mobile number).
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details with a stable `code`.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor`.
"""

TAGS = [
    {"name": "auth", "description": "Tokens: log in, refresh (rotating), log out."},
    {"name": "accounts", "description": "Register as a resident; read and edit your own profile."},
    {"name": "admin", "description": "Staff accounts and deactivation (admins only)."},
    {"name": "region", "description": "The city: agencies, complaint categories, permit types."},
    {"name": "operations", "description": "Liveness and readiness probes."},
]


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


class Health(BaseModel):
    status: str


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="Warga API",
        version=VERSION,
        summary=package_doc,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.password_hashing = PasswordHashing(settings)

    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestIdMiddleware)

    for router in (auth_router, accounts_router, admin_router, region_router):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"], response_model=Health)
    def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get(
        "/readyz", tags=["operations"], response_model=Health, responses=error_responses(503)
    )
    def readyz() -> Health:
        """The database answers."""
        try:
            with app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise Unavailable("The database is not reachable.") from exc
        return Health(status="ready")

    return app

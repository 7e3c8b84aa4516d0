"""Settings from environment variables prefixed ``WARGA_`` (or a ``.env`` file)."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from limits import parse_many
from pydantic import Field, HttpUrl, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone who reads this file: fine on a laptop, refused in production.
DEVELOPMENT_SECRET = "warga-development-secret-change-me-0123456789"

if TYPE_CHECKING:
    from backend.db import EngineOptions

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARGA_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'warga.db'}"
    secret_key: str = Field(DEVELOPMENT_SECRET, min_length=32)
    jwt_issuer: str = "warga"
    jwt_audience: str = "warga-api"
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(30, ge=1, le=365)
    cors_origins: list[str] = []
    # The API's public address (scheme, host, optional path prefix). Every absolute link it
    # hands out (certificates' QR codes, verification and register links, download links) is
    # built from it, never from a request's Host header. Required in production; elsewhere it
    # defaults to this machine on WARGA_PORT, as `make run` serves it.
    public_url: HttpUrl | None = None
    port: int = Field(8000, ge=1, le=65535)
    # Login throttling: this many failures inside the window lock the account (from anywhere)
    # and an address's attempts on that account; an address as a whole (a carrier NAT, an
    # office proxy: many residents) locks only at its own, higher ceiling.
    login_max_failures: int = Field(5, ge=1)
    login_address_max_failures: int = Field(100, ge=1)
    login_window_seconds: int = Field(15 * 60, ge=1)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated addresses
    # or CIDR ranges of the reverse proxies or load balancers in front of Warga ("*": any).
    # Anyone else's forwarded headers are ignored and the peer itself is the client.
    trusted_proxies: str = "127.0.0.1"
    # Argon2id cost: OWASP's first recommended setting (46 MiB, one pass, one lane) keeps a
    # login near 50 ms and a burst of logins from exhausting a small server's memory.
    argon2_time_cost: int = Field(1, ge=1)
    argon2_memory_kib: int = Field(46 * 1024, ge=64)
    # At most this many Argon2 runs at once per process: a flood of sign-ups or logins queues
    # instead of taking `argon2_memory_kib` each until the server runs out of memory.
    password_hashing_concurrency: int = Field(4, ge=1, le=256)
    # Rate limits on writes, in the `limits` notation ("10/hour", several joined by ";", e.g.
    # "3/minute;10/hour"). Each counts per account, and an address may make
    # `rate_limit_address_factor` times as many (a shared office or school NAT); registration
    # has no account yet, so its limit counts per address only.
    rate_limit_registration: str = "10/hour"
    rate_limit_filing: str = "20/hour"
    rate_limit_uploads: str = "60/hour"
    rate_limit_comments: str = "60/hour"
    rate_limit_support: str = "120/hour"
    rate_limit_address_factor: int = Field(4, ge=1)
    # Where the counters live so every worker and host shares them: Redis when set (e.g.
    # "redis://127.0.0.1:6379/0"), the database otherwise. The prefix keeps two deployments on
    # one Redis apart.
    redis_url: str | None = None
    redis_key_prefix: str = Field("warga", min_length=1, max_length=64)
    log_level: str = "INFO"
    # FastAPI's own OpenTelemetry spans, metrics and logs, sent to the process's global providers
    # (as `opentelemetry-instrument` sets them up). Off unless asked for: looking the providers up
    # costs every request a few microseconds even when none is set up.
    opentelemetry: bool = False
    # Database connections of one process. `warga serve --workers N` shares
    # `db_connection_budget` between its workers (see docs/deploy.md), so a host never opens more.
    db_pool_size: int = Field(10, ge=1, le=500)
    db_max_overflow: int = Field(10, ge=0, le=500)
    # How long a request waits for a free connection before it is answered 503 (a busy server
    # answers fast and honestly instead of hanging).
    db_pool_timeout_seconds: float = Field(2.0, gt=0, le=60)
    # Every connection of one `warga serve` host, its workers' change-channel listeners included.
    db_connection_budget: int = Field(40, ge=2, le=5000)
    # PostgreSQL session limits in milliseconds (0: none). Behind PgBouncer in transaction mode,
    # set them on the database role instead (docs/deploy.md).
    db_statement_timeout_ms: int = Field(30_000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(60_000, ge=0)
    # psycopg prepares statements on the server after a few runs; PgBouncer in transaction
    # mode hands each transaction another server connection, so turn this off behind it.
    db_prepared_statements: bool = True
    # Where the change channel LISTENs (one connection per process). Behind PgBouncer in
    # transaction mode, point it at PostgreSQL itself or a session-mode pool; empty: the
    # database URL.
    change_channel_database_url: str | None = None
    # Back-pressure: at most this many requests are worked on at once per process (0: as many
    # as the pool has connections, overflow included); others wait up to
    # `request_queue_seconds` for a turn, then get 503 with `Retry-After: retry_after_seconds`.
    max_concurrent_requests: int = Field(0, ge=0, le=10_000)
    request_queue_seconds: float = Field(1.0, ge=0, le=60)
    retry_after_seconds: int = Field(2, ge=1, le=3600)
    # Uploaded photos, documents, announcement images and certificates (content-addressed
    # files): in `media_dir` on this host ("local"), or in an S3-compatible bucket every host
    # shares ("s3": MinIO, Ceph RGW, Garage or a cloud; see docs/deploy.md).
    storage_backend: Literal["local", "s3"] = "local"
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    s3_endpoint_url: str | None = None  # None: AWS itself
    s3_bucket: str = "warga"
    s3_prefix: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None  # None: boto3's usual sources (environment, profile)
    s3_secret_access_key: str | None = None
    max_photo_mb: int = Field(10, ge=1, le=50)
    max_document_mb: int = Field(20, ge=1, le=100)
    # Every other request body (JSON, forms), refused while it is read (413); and how deeply a
    # JSON body may nest (422): no form of the city's goes beyond a handful of levels.
    max_json_body_kb: int = Field(1024, ge=1)
    max_json_depth: int = Field(32, ge=2, le=256)
    # The city's private key (EC P-256, PEM) that signs permit certificates. Generated here on
    # first use in development and tests; production refuses to make one up.
    signing_key_file: Path = PROJECT_ROOT / "var" / "signing-key.pem"
    # The public keys of rotated-out signing keys (a JWKS file written by `warga keys rotate`);
    # published so old certificates still verify. Default: next to the key file.
    retired_signing_keys_file: Path | None = None
    # Periodic jobs (announcement notices, complaint auto-close, permit expiry and reminders):
    # every this many seconds each server process runs them itself (0: never; run
    # `warga jobs run` from cron instead). Safe on every host at once.
    jobs_interval_seconds: float = Field(0, ge=0, le=24 * 3600)
    # Live notification stream (Server-Sent Events): how often it looks for new entries, and
    # how often it sends a comment so proxies and phones keep an idle connection open.
    notification_poll_seconds: float = Field(1.0, gt=0, le=60)
    notification_heartbeat_seconds: float = Field(15.0, gt=0, le=300)

    # --- Integrations (API clients, webhooks, Open311) ---
    # Lifetime of a client-credentials access token, and how long a rotated secret still works.
    client_token_minutes: int = Field(60, ge=1, le=24 * 60)
    client_secret_grace_hours: int = Field(24, ge=0, le=30 * 24)
    # Webhook delivery: how often each server process looks for due deliveries, the waits
    # between attempts (the first attempt is immediate; this schedule spans ~27 hours), and
    # after how long of nothing but failures an endpoint is disabled and its owner told.
    webhook_poll_seconds: float = Field(2.0, gt=0, le=60)
    webhook_retry_delays_seconds: list[float] = [30, 300, 1800, 7200, 18000, 36000, 36000]
    webhook_disable_after_hours: float = Field(72, gt=0)
    webhook_timeout_seconds: float = Field(10, gt=0, le=60)
    # Closed networks and tests only: let webhooks reach loopback and private addresses.
    webhooks_allow_private_urls: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item and item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(
                        f"WARGA_TRUSTED_PROXIES: {item!r} is not an address or CIDR range"
                    ) from None
        return value

    @field_validator(
        "rate_limit_registration",
        "rate_limit_filing",
        "rate_limit_uploads",
        "rate_limit_comments",
        "rate_limit_support",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_many(value)  # refuses what it cannot read, at start-up rather than at the first hit
        return value

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        if self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "WARGA_SECRET_KEY is the development secret; set a long random value in production"
            )
        # Checked at start-up, not at the first certificate: a city must not find out then.
        if not self.signing_key_file.is_file():
            raise ValueError(
                f"WARGA_SIGNING_KEY_FILE ({self.signing_key_file}) does not exist; production "
                "needs the city's EC P-256 private key (PEM) that signs permit certificates"
            )
        if self.public_url is None:
            raise ValueError(
                "WARGA_PUBLIC_URL is not set; production needs the public address (e.g. "
                "https://warga.example.go.id) that certificates' QR codes and links point at"
            )
        return self

    @property
    def public_origin(self) -> str:
        """The public URL without a trailing slash, ready for a path to be appended."""
        if self.public_url is None:
            return f"http://127.0.0.1:{self.port}"
        return str(self.public_url).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def engine_options(self) -> "EngineOptions":
        from backend.db import EngineOptions

        return EngineOptions(
            pool_size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            pool_timeout=self.db_pool_timeout_seconds,
            statement_timeout_ms=self.db_statement_timeout_ms,
            idle_in_transaction_timeout_ms=self.db_idle_in_transaction_timeout_ms,
            prepared_statements=self.db_prepared_statements,
        )

    @property
    def request_slots(self) -> int:
        """How many requests one process works on at once (the rest wait or get 503)."""
        return self.max_concurrent_requests or self.db_pool_size + self.db_max_overflow


@lru_cache
def get_settings() -> Settings:
    return Settings()

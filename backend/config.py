"""Settings from environment variables prefixed ``WARGA_`` (or a ``.env`` file)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, HttpUrl, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone who reads this file: fine on a laptop, refused in production.
DEVELOPMENT_SECRET = "warga-development-secret-change-me-0123456789"

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
    # Login throttling: this many failures inside the window lock the account or address.
    login_max_failures: int = Field(5, ge=1)
    login_window_seconds: int = Field(15 * 60, ge=1)
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
    # Uploaded photos and documents (content-addressed files).
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    max_photo_mb: int = Field(10, ge=1, le=50)
    max_document_mb: int = Field(20, ge=1, le=100)
    # Every other request body (JSON, forms), refused while it is read (413); and how deeply a
    # JSON body may nest (422): no form of the city's goes beyond a handful of levels.
    max_json_body_kb: int = Field(1024, ge=1)
    max_json_depth: int = Field(32, ge=2, le=256)
    # The city's private key (EC P-256, PEM) that signs permit certificates. Generated here on
    # first use in development and tests; production refuses to make one up.
    signing_key_file: Path = PROJECT_ROOT / "var" / "signing-key.pem"
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


@lru_cache
def get_settings() -> Settings:
    return Settings()

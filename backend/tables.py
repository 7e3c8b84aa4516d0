"""Imports every domain's tables so ``SQLModel.metadata`` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from backend.accounts import models as accounts_models
from backend.auth import models as auth_models
from backend.clients import models as clients_models
from backend.complaints import models as complaints_models
from backend.idempotency import IdempotencyRecord
from backend.information import models as information_models
from backend.notifications import models as notifications_models
from backend.permits import models as permits_models
from backend.ratelimit import RateLimitCounter
from backend.region import models as region_models
from backend.stats import models as stats_models  # indexes on the complaint table
from backend.webhooks import models as webhooks_models

DOMAIN_MODELS = (
    region_models,
    accounts_models,
    auth_models,
    notifications_models,
    complaints_models,
    permits_models,
    information_models,
    stats_models,
    clients_models,
    webhooks_models,
)
SHARED_TABLES = (IdempotencyRecord, RateLimitCounter)

metadata = SQLModel.metadata

"""Information fixtures: uploaded images go to a temporary directory; logged-in callers."""

from dataclasses import dataclass

import httpx
import pytest

from backend.config import Settings
from tests.backend.helpers import login


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path / "media"})


@dataclass
class Callers:
    """Authorization headers per demo account."""

    admin: dict[str, str]
    road_supervisor: dict[str, str]  # dbmsda
    waste_supervisor: dict[str, str]  # dlh
    road_officer: dict[str, str]
    resident: dict[str, str]


@pytest.fixture
async def callers(client: httpx.AsyncClient, demo) -> Callers:
    async def headers(account) -> dict[str, str]:
        return await login(client, account.username, account.password)

    return Callers(
        admin=await headers(demo.admin),
        road_supervisor=await headers(demo.supervisor("dbmsda")),
        waste_supervisor=await headers(demo.supervisor("dlh")),
        road_officer=await headers(demo.officer("dbmsda")),
        resident=await headers(demo.resident),
    )


def announcement_body(**overrides) -> dict:
    body = {
        "agency_code": "dbmsda",
        "category": "announcement",
        "title": {"id": "Perbaikan jalan Setu Raya", "en": "Repairs on Setu Raya road"},
        "body": {
            "id": "Jalan Setu Raya ditutup sebagian selama perbaikan.",
            "en": "Setu Raya road is partly closed during the repairs.",
        },
    }
    return body | overrides

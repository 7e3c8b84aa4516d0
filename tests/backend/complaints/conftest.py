"""Complaint fixtures: photos go to a temporary directory; logged-in callers of every role."""

from dataclasses import dataclass

import httpx
import pytest

from backend.config import Settings
from tests.backend.helpers import login


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    """The backend's test settings, with uploaded files kept in this test's directory."""
    return settings.model_copy(update={"media_dir": tmp_path / "media"})


@dataclass
class Callers:
    """Authorization headers per demo account."""

    resident: dict[str, str]
    other_resident: dict[str, str]
    road_officer: dict[str, str]  # dbmsda
    road_supervisor: dict[str, str]
    waste_officer: dict[str, str]  # dlh
    admin: dict[str, str]


@pytest.fixture
async def callers(client: httpx.AsyncClient, demo) -> Callers:
    async def headers(account) -> dict[str, str]:
        return await login(client, account.username, account.password)

    return Callers(
        resident=await headers(demo.resident),
        other_resident=await headers(demo.other_resident),
        road_officer=await headers(demo.officer("dbmsda")),
        road_supervisor=await headers(demo.supervisor("dbmsda")),
        waste_officer=await headers(demo.officer("dlh")),
        admin=await headers(demo.admin),
    )

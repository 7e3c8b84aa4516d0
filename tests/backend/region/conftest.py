"""Region-pack fixtures: the demo pack and a tiny pack as data that tests can break."""

from pathlib import Path

import pytest
import yaml

from backend.demo import DEMO_PACK
from backend.region.pack import RegionPack, load_pack_file

TINY_PACK = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="session")
def demo_pack() -> RegionPack:
    return load_pack_file(DEMO_PACK)


@pytest.fixture(scope="session")
def tiny_pack() -> RegionPack:
    return load_pack_file(TINY_PACK)


@pytest.fixture
def tiny_data() -> dict:
    """A fresh, mutable copy of the tiny pack's data."""
    return yaml.safe_load(TINY_PACK.read_text(encoding="utf-8"))

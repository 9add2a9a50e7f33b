from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.batches import BatchFactory
from tests.support.county_server import CountyServer, start_county

UNITS = ("丰收镇", "长乐镇", "太平镇")


@pytest.fixture(scope="session")
def factory(tmp_path_factory: pytest.TempPathFactory) -> BatchFactory:
    return BatchFactory(tmp_path_factory.mktemp("township"))


@pytest.fixture
def county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=UNITS) as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=30) as c:
        yield c

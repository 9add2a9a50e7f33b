"""Fixtures of the batch tests (home, campaign, store and the hermetic environment come from
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.domain.rubric import Campaign
from fieldtui.settings import Settings
from fieldtui.store.store import Store
from tests.sync.helpers import make_settings, small_township
from tests.sync.server import RunningServer, ServerState, serve


@pytest.fixture
def settings(home: Path) -> Settings:
    return make_settings(home)


@pytest.fixture
def township(store: Store, campaign: Campaign) -> dict[str, int]:
    return small_township(store, campaign)


@pytest.fixture
def county(campaign: Campaign) -> Iterator[RunningServer]:
    state = ServerState(
        campaign=campaign,
        tokens={"tok-longhe-0123456789": "龙河镇", "tok-other-9876543210": "三合镇"},
    )
    with serve(state) as srv:
        yield srv

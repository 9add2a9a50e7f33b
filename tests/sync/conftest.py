from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.domain.rubric import Campaign
from fieldtui.settings import Settings
from fieldtui.store.store import Store, open_store
from tests.sync.helpers import make_settings, small_township
from tests.sync.server import RunningServer, ServerState, serve


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FIELDTUI_TOKEN", raising=False)
    monkeypatch.delenv("FIELDTUI_LANG", raising=False)
    monkeypatch.setenv("FIELDTUI_HOME", str(tmp_path / "not-this-home"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def campaign() -> Campaign:
    return active(None)


@pytest.fixture
def settings(home: Path) -> Settings:
    return make_settings(home)


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = open_store(home)
    yield s
    s.close()


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

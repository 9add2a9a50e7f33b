"""A small app that hosts the scoring screen the way the real app does, and shared fixtures.

The harness provides what ``fieldtui.screens.context.AppServices`` promises (home, lang, store,
campaign, settings, today(), tr()) and registers the screen as a lazily built "scoring" mode with
``open_scoring(station_id)``, so the screen is tested on its own against a real database.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot

from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput
from fieldtui.domain.rubric import Campaign
from fieldtui.paths import config_dir
from fieldtui.screens import scoring as scoring_module
from fieldtui.screens.keys import set_language
from fieldtui.screens.scoring import ScoringScreen
from fieldtui.settings import load_settings
from fieldtui.store.store import Store, open_store

TODAY = dt.date(2023, 5, 10)

STATIONS = [
    StationInput(name="永丰村退役军人服务站", village="永丰村", head="王国明", head_role="secretary",
                 contact="李华", phone="13800000001", people_served=60, veterans=40),
    StationInput(name="长乐社区退役军人服务站", village="长乐社区", head="张伟", head_role="director",
                 contact="陈英", phone="13800000002", people_served=45, veterans=31),
    StationInput(name="太平村退役军人服务站", village="太平村", head="刘强", head_role="both",
                 contact="杨芳", phone="13800000003", people_served=80, veterans=52),
    StationInput(name="新华村退役军人服务站", village="新华村", head="赵勇", head_role="secretary",
                 contact="周兰", phone="13800000004", people_served=30, veterans=25),
]  # fmt: skip


class Harness(App[None]):
    """Hosts ScoringScreen in a "scoring" mode, like fieldtui.app does."""

    MODES = {"scoring": ScoringScreen}

    def __init__(self, home: Path, lang: str = "zh", campaign_id: str = "") -> None:
        set_language(lang)
        super().__init__()
        self.home = home
        self.lang = lang
        self.settings = load_settings(home)
        self.campaign: Campaign = active(home, campaign_id)
        self.store: Store = open_store(home)

    def today(self) -> dt.date:
        return TODAY

    def tr(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    async def on_mount(self) -> None:
        await self.switch_mode("scoring")

    def open_scoring(self, station_id: int) -> None:
        self.switch_mode("scoring")
        screen = self.get_screen_stack("scoring")[0]
        assert isinstance(screen, ScoringScreen)
        screen.open_station(station_id)

    def on_unmount(self) -> None:
        self.store.close()

    @property
    def scoring(self) -> ScoringScreen:
        screen = self.get_screen_stack("scoring")[0]
        assert isinstance(screen, ScoringScreen)
        return screen


def make_home(tmp: Path, *, partial: bool = False, officer: str = "李四") -> Path:
    """A home with the 2023 campaign (or a variant allowing partial scores) and four stations."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    settings = load_settings(home)
    settings.set("officer", officer)
    settings.set("unit", "龙河镇")
    if partial:
        text = (config_dir() / "campaigns" / "fengdu-2023.toml").read_text(encoding="utf-8")
        text = text.replace('id = "fengdu-2023"', 'id = "partial-test"', 1)
        text = text.replace("partial_scores = false", "partial_scores = true", 1)
        assert 'id = "partial-test"' in text and "partial_scores = true" in text
        (home / "campaigns").mkdir()
        (home / "campaigns" / "partial-test.toml").write_text(text, encoding="utf-8")
        settings.set("campaign", "partial-test")
    settings.save()
    with open_store(home) as store:
        for st in STATIONS:
            store.stations.add(st)
    return home


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Never the developer's own home; GC tuning is process-wide, so undo it after each test."""
    monkeypatch.setenv("FIELDTUI_HOME", str(tmp_path / "not-used"))
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()
    monkeypatch.setattr(scoring_module, "_gc_tuned", False)
    set_language("zh")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path)


@pytest.fixture
def partial_home(tmp_path: Path) -> Path:
    return make_home(tmp_path, partial=True)


def station_id(home_or_app: Path | Harness, name: str) -> int:
    if isinstance(home_or_app, Harness):
        st = home_or_app.store.stations.by_name(name)
    else:
        with open_store(home_or_app) as store:
            st = store.stations.by_name(name)
    assert st is not None, name
    return st.id


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every queued write has committed and its result is on screen."""
    app = pilot.app
    assert isinstance(app, Harness)
    assert app.scoring.flush(10)
    await pilot.pause()
    await pilot.pause()


class KeyCounter:
    """Press keys through a pilot and count them."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)


def screen_text(app: App[None]) -> str:
    """What the terminal shows, as text (one line per row)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def pick(pilot: Pilot[None], query: str) -> None:
    """Choose a station in the picker (opened by itself when the screen first shows)."""
    from fieldtui.screens.scoring_modals import StationPicker

    app = pilot.app
    if not isinstance(app.screen, StationPicker):
        await pilot.press("p")
    assert isinstance(app.screen, StationPicker)
    await pilot.press(*query, "enter")
    await pilot.pause()

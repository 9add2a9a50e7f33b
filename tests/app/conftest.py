"""Hermetic app tests: a temporary home, a frozen today, no cursor blink, the real store.

The root conftest keeps the developer's environment out (FIELDTUI_* variables, home) and gives
the empty ``home`` fixture; these add the demo township and the app factory.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fieldtui.app import FieldApp

TODAY = dt.date(2023, 6, 10)  # mid-Q2: Q1 is past, the next deadline is 30 June
DEMO_STATIONS = 24


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the demo township as of TODAY, built once (pypinyin is slow to load)."""
    from fieldtui.campaigns import active
    from fieldtui.demo import fill_demo
    from fieldtui.store.store import open_store

    home = tmp_path_factory.mktemp("demo-template")
    with open_store(home) as store:
        fill_demo(store, active(home), DEMO_STATIONS, today=TODAY)
    return home


@pytest.fixture
def demo_home(tmp_path: Path, demo_template: Path) -> Path:
    """A fresh copy of the demo home for one test."""
    h = tmp_path / "demo"
    shutil.copytree(demo_template, h)
    return h


AppFactory = Callable[..., FieldApp]


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    def make(home: Path, lang: str = "zh") -> FieldApp:
        return FieldApp(home, lang, today=TODAY, blink=False, check_storage=False)

    yield make

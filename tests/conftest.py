"""Shared fixtures. Every test is hermetic: a temporary home, no developer settings or tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in ("FIELDTUI_TOKEN", "FIELDTUI_LANG", "FIELDTUI_TODAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FIELDTUI_HOME", str(tmp_path_factory.mktemp("default-home")))
    monkeypatch.setenv("TEXTUAL_NO_BLINK", "1")
    # The apps draw differently with few colours (fieldtui/widgets/colours.py): tests see a
    # full-colour terminal, whatever runs them (TERM=xterm alone reads as 16 colours).
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture(scope="session")
def campaign():  # type: ignore[no-untyped-def]
    from fieldtui.campaigns import active

    return active(None)


@pytest.fixture
def store(home: Path) -> Iterator[object]:
    from fieldtui.store.store import open_store

    s = open_store(home)
    yield s
    s.close()

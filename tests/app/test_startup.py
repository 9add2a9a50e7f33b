"""Start-up stays lean: no heavy library and no area but the dashboard is loaded to first screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HEAVY = ("pypinyin", "openpyxl", "httpx", "sqlite_utils", "docx", "starlette", "uvicorn")
LAZY_AREAS = (
    "fieldtui.screens.ledger",
    "fieldtui.screens.plan",
    "fieldtui.screens.settings",
    "fieldtui.screens.scoring",
    "fieldtui.screens.batches",
    "fieldtui.screens.import_dialog",
    "fieldtui.screens.commands",
)

PROBE = """
import asyncio, json, sys, datetime as dt
from pathlib import Path
from typing import Any
from fieldtui.app import FieldApp

async def main():
    app = FieldApp(Path(sys.argv[1]), "zh", today=dt.date(2023, 6, 10), blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = type(app.screen).__name__
    print(json.dumps({"screen": screen, "modules": sorted(sys.modules)}))

asyncio.run(main())
"""


def run_probe(home: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(home)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_first_screen_loads_nothing_heavy(demo_home: Path) -> None:
    result = run_probe(demo_home)
    assert result["screen"] == "DashboardScreen"
    modules = set(result["modules"])  # type: ignore[arg-type]
    loaded_heavy = [m for m in HEAVY if m in modules]
    assert loaded_heavy == []
    assert [m for m in LAZY_AREAS if m in modules] == []
    assert "fieldtui.screens.dashboard" in modules  # the probe did reach the first screen


def test_first_start_on_an_empty_database_loads_nothing_heavy(home: Path) -> None:
    result = run_probe(home)
    assert result["screen"] == "WelcomeScreen"
    modules = set(result["modules"])  # type: ignore[arg-type]
    # Creating the database runs the migrations, which use sqlite-utils (once, by design).
    assert [m for m in HEAVY if m in modules and m != "sqlite_utils"] == []


def start_for_real(home: Path, tmp_path: Path) -> dict[str, Any]:
    """``python -m fieldtui --home HOME`` as the officer starts it, headless, until its first
    screen is ready (FIELDTUI_EXIT_WHEN_READY); what the process reported at that moment."""
    from tests.support.env import run_cli

    ready = tmp_path / "ready.json"
    out = run_cli(
        home=home,
        FIELDTUI_EXIT_WHEN_READY="1",
        FIELDTUI_READY_FILE=str(ready),
        FIELDTUI_TODAY="2023-06-10",
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(ready.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_real_start_loads_nothing_heavy_and_sets_the_collector_up(
    demo_home: Path, tmp_path: Path
) -> None:
    """Through the command line, as started by the officer: no heavy library, no other area, and
    the start-up heap frozen with collection back on once the first screen is ready."""
    report = start_for_real(demo_home, tmp_path)
    assert report["screen"] == "DashboardScreen"
    modules = set(report["modules"])
    assert [m for m in HEAVY if m in modules] == []
    assert [m for m in LAZY_AREAS if m in modules] == []
    # The command line went straight to the app: no sub-command's module was imported.
    assert [
        m for m in modules if m.startswith("fieldtui.cli.") and m != "fieldtui.cli.context"
    ] == []
    assert report["gc"]["enabled"] is True
    assert report["gc"]["frozen"] > 10_000


def test_an_existing_empty_database_starts_without_sqlite_utils(home: Path, tmp_path: Path) -> None:
    """The second start of an empty township (database made, no stations yet) migrates nothing,
    so sqlite-utils is not loaded either."""
    from fieldtui.store.store import open_store

    open_store(home).close()
    report = start_for_real(home, tmp_path)
    assert report["screen"] == "WelcomeScreen"
    assert [m for m in HEAVY if m in set(report["modules"])] == []


async def test_opening_an_area_does_not_refresh_the_whole_stylesheet(
    demo_home: Path, make_app: Any
) -> None:
    """Textual refreshed every rule of every screen when a mode's screen was first installed;
    fieldtui.app.styled_now spares that (the snapshots check the screens look the same)."""
    app = make_app(demo_home)
    refreshes: list[str] = []
    real = app.refresh_css

    def counting(animate: bool = True) -> None:
        refreshes.append(type(app.screen).__name__)
        real(animate)

    app.refresh_css = counting
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("f3", "f4", "f6", "f7", "f2"):
            await pilot.press(key)
            await pilot.pause()
        assert type(app.screen).__name__ == "DashboardScreen"
    assert refreshes == []

"""Start-up stays lean: no heavy library and no area but the dashboard is loaded to first screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
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

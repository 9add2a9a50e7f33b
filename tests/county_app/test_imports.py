"""The county app and the review modules load only what they need."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "stamina", "openpyxl", "docx", "starlette", "uvicorn", "pypinyin", "sqlite_utils")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_county_app_and_screens_are_light() -> None:
    mods = loaded_after(
        "import fieldtui.screens.county.app, fieldtui.screens.county.overview, "
        "fieldtui.screens.county.worklist, fieldtui.screens.county.compare"
    )
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    # the re-scoring workbook (a township store: sqlite_utils, pypinyin) opens when first used
    assert "fieldtui.county.workbook" not in mods


def test_county_review_modules_never_import_textual() -> None:
    mods = loaded_after(
        "import fieldtui.county.reviews, fieldtui.county.views, fieldtui.county.workbook, "
        "fieldtui.county.export, fieldtui.sync.review, fieldtui.cli.county_review, "
        "fieldtui.cli.review"
    )
    assert "textual" not in {m.split(".")[0] for m in mods}

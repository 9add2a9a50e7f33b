"""The batches screen and the CLI's parser load none of the heavy libraries until a job runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "stamina", "openpyxl", "docx", "starlette", "uvicorn", "smtplib", "lxml")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_screen_module_is_light() -> None:
    mods = loaded_after("import fieldtui.screens.batches")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}


def test_cli_parser_is_light() -> None:
    mods = loaded_after("from fieldtui.cli import build_parser; build_parser()")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    assert "fieldtui.sync.client" not in mods and "fieldtui.sync.export" not in mods


def test_sync_modules_never_import_textual() -> None:
    mods = loaded_after(
        "import fieldtui.sync.client, fieldtui.sync.export, fieldtui.sync.seal, "
        "fieldtui.sync.mail, fieldtui.sync.attach"
    )
    assert "textual" not in {m.split(".")[0] for m in mods}

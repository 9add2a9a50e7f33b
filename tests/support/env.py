"""Running the real ``fieldtui`` command in a child process, on this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child ``python -m fieldtui``: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("FIELDTUI_TOKEN", None)
    env.update(extra)
    return env


def run_cli(
    *args: str, home: Path, input: str | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m fieldtui --home HOME ARGS...`` as a real process."""
    return subprocess.run(
        [PYTHON, "-m", "fieldtui", "--home", str(home), *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=subprocess_env(**env),
    )

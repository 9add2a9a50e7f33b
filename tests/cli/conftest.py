"""Fixtures for CLI tests: a temporary home, and the command run in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def fieldtui(home: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``fieldtui(*args)`` runs ``fieldtui --home HOME *args`` in this process."""
    from fieldtui.cli import main

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["--home", str(home), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run

"""The ``--json`` examples of docs/cli.md, to check that the documented shapes are the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def examples(section: str) -> list[dict[str, Any]]:
    """Every ```json block of the ``## section`` of docs/cli.md (up to the next ``## ``)."""
    text = CLI_MD.read_text(encoding="utf-8")
    part = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", part, re.S)]


def shape(value: object) -> object:
    """Keys all the way down; a list by its first element; leaves as None."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def documented(section: str, got: dict[str, Any]) -> dict[str, Any]:
    """The example of ``section`` with the same top-level keys as ``got`` (AssertionError if none)."""
    for ex in examples(section):
        if set(ex) == set(got):
            return ex
    raise AssertionError(f"docs/cli.md ## {section}: no example with keys {sorted(got)}")

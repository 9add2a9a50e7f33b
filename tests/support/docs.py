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


def fits(got: object, doc: object) -> bool:
    """``got`` has the documented shape: the same keys all the way down; an empty list fits any
    documented list (a send with no scans has ``files: []`` where the example shows one)."""
    if isinstance(doc, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(doc)
            and all(fits(got[k], doc[k]) for k in doc)
        )
    if isinstance(doc, list):
        return isinstance(got, list) and (not got or not doc or fits(got[0], doc[0]))
    return not isinstance(got, dict | list)


def documented(section: str, got: dict[str, Any]) -> dict[str, Any]:
    """The example of ``section`` with the same top-level keys as ``got`` (AssertionError if none)."""
    for ex in examples(section):
        if set(ex) == set(got):
            return ex
    raise AssertionError(f"docs/cli.md ## {section}: no example with keys {sorted(got)}")

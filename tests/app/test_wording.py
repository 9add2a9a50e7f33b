"""One word for one thing across the interface."""

from __future__ import annotations

from pathlib import Path

import fieldtui

SOURCE = Path(fieldtui.__file__).parent


def test_a_station_that_fails_is_weida_everywhere() -> None:
    """未达标 (the ledger's and the reports' word), never 不达标 (the picker and the score bar
    used to say it)."""
    found = [
        f"{p.relative_to(SOURCE)}:{n}"
        for p in sorted(SOURCE.rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "不达标" in line
    ]
    assert found == []

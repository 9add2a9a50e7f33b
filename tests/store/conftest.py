"""Fixtures for the store tests: a fresh store in a temporary home, the campaign, a CSV writer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.store.ledger_files import csv_bytes


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(
        rows: Sequence[Sequence[Any]], encoding: str = "utf-8", name: str = "台账.csv"
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, encoding))
        return path

    return write

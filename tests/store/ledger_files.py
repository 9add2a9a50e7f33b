"""Writers for ledger files as offices send them (CSV in several encodings, XLSX with merged
cells), and a dump of the stations table for before/after comparisons."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fieldtui.store.store import Store


def csv_bytes(rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> bytes:
    """Rows as Excel writes a CSV: minimal quoting, CRLF after every record."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    merges: Sequence[str] = (),
    sheet: str = "Sheet1",
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> Path:
    """An XLSX as an office makes it; strings stay strings (never formulas)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for title, other in extra_sheets:
        extra = wb.create_sheet(title, 0)
        _fill(extra, other)
    ws.title = sheet
    _fill(ws, rows)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _fill(ws: Any, rows: Sequence[Sequence[Any]]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"


def dump(store: Store) -> list[tuple[Any, ...]]:
    """The stations table, every column, for before/after comparisons."""
    return [tuple(r) for r in store.conn.execute("SELECT * FROM stations ORDER BY id")]

"""The two floors every figure is compared with, measured in the same run.

- ``bare``: a bare Textual app (Header, Footer, one Static) from process start to mounted, exited.
- ``naive``: a naive checklist, a DataTable of the 57 rubric items plus the 3 bonus items and the
  veto (61 rows) where every key updates one cell and a total label (``Label.update``, which lays
  the screen out again) — what a first attempt would build. Given a home, every key is also
  saved the simple way: ``set_score`` (a WAL + synchronous=FULL commit with its audit row) on the
  UI thread, before the cell is updated, and the total computed by the one scoring function.

Run as ``python -m benchmarks.floors bare|naive`` (exits when ready, noting the moment in
``FIELDTUI_READY_FILE`` like the app; used for start-up figures), or imported for the key-cost
measurement (``NaiveChecklist(home)``, keys ``y`` full marks and next, ``n`` zero and next,
``home`` back to item 1).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label, Static


def ready_exit(app: App[None]) -> None:
    """Ready for input: note the moment where the harness looks for it (the same protocol as
    the app's FIELDTUI_READY_FILE), and exit."""
    path = os.environ.get("FIELDTUI_READY_FILE")
    if path:
        import json

        with open(path, "w", encoding="utf-8") as f:
            report = {
                "ready": time.monotonic(),
                "cpu": time.process_time(),
                "modules": sorted(sys.modules),
            }
            json.dump(report, f)
    app.exit()


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("fieldtui floor")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(ready_exit, self)


class NaiveChecklist(App[None]):
    """Each key sets the cursor row's score, saves it (with a home) and updates the total."""

    BINDINGS = [
        Binding("y", "score(True)", "Full"),
        Binding("n", "score(False)", "Zero"),
        Binding("home", "top", "First", priority=True),  # the table's own home scrolls sideways
    ]

    def __init__(self, home: Path | None = None, exit_when_ready: bool = False) -> None:
        super().__init__()
        from fieldtui.campaigns import active

        self.exit_when_ready = exit_when_ready
        self.campaign = active(home)
        self.scores: dict[int, float] = {}
        self.store: Any = None
        if home is not None:
            import datetime as dt

            from fieldtui.store.store import open_store

            self.store = open_store(home)
            station = self.store.stations.refs()[0].id
            self.aid = self.store.assessments.create(
                station, self.campaign, dt.date(2023, 5, 10), "bench"
            )

    def compose(self) -> ComposeResult:
        yield DataTable(id="sheet", cursor_type="row")
        yield Label("Total 0", id="total")
        yield Footer()

    def on_mount(self) -> None:
        c = self.campaign
        table = self.query_one(DataTable)
        table.add_column("No.", key="no")
        table.add_column("Item", key="item")
        table.add_column("Max", key="max")
        table.add_column("Score", key="score")
        for it in c.items:
            table.add_row(str(it.number), it.text, f"{it.max:g}", "·", key=str(it.number))
        for b in c.bonus:
            table.add_row(str(b.number), b.text, f"{b.max:g}", "·", key=str(b.number))
        table.add_row(str(c.veto_number), "一票否决", "", "·", key=str(c.veto_number))
        table.focus()
        if self.exit_when_ready:
            self.call_after_refresh(ready_exit, self)

    def action_score(self, full: bool) -> None:
        from fieldtui.domain.scoring import Sheet, compute

        table = self.query_one(DataTable)
        row = table.cursor_row
        c = self.campaign
        if row < len(c.items):
            n = row + 1
            value = c.item(n).max if full else 0.0
            if self.store is not None:
                self.store.assessments.set_score(self.aid, c, n, value, "bench")
            self.scores[n] = value
            table.update_cell(str(n), "score", f"{value:g}")
            total = compute(c, Sheet(scores=self.scores)).total
            self.query_one("#total", Label).update(f"Total {total:g}")
        table.move_cursor(row=min(row + 1, len(c.items) - 1))

    def action_top(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "bare"
    app = BareApp() if which == "bare" else NaiveChecklist(exit_when_ready=True)
    app.run(headless=True)

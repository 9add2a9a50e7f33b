"""The two floors every figure is compared with, measured in the same run.

- ``bare``: a bare Textual app (Header, Footer, one Static) from process start to mounted, exited.
- ``naive``: a naive checklist, a DataTable of the 57 rubric items plus 4 rows (61) where every key
  updates one cell and a total label (``Static.update``) — what a first attempt would build.

Run as ``python -m benchmarks.floors bare|naive`` (exits when ready; used for start-up figures),
or imported for the key-cost measurement (``NaiveChecklist``).
"""

from __future__ import annotations

import os
import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static


def ready_exit(app: App[None]) -> None:
    """Ready for input: note the moment where the harness looks for it (the same protocol as
    the app's FIELDTUI_READY_FILE), and exit."""
    path = os.environ.get("FIELDTUI_READY_FILE")
    if path:
        import json

        with open(path, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "ready": time.monotonic(),
                    "cpu": time.process_time(),
                    "modules": sorted(sys.modules),
                },
                f,
            )
    app.exit()


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("fieldtui floor")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(ready_exit, self)


class NaiveChecklist(App[None]):
    """Each key sets the cursor row's score and updates the total label."""

    BINDINGS = [("y", "full", "Full"), ("n", "zero", "Zero")]

    def __init__(self, exit_when_ready: bool = False) -> None:
        super().__init__()
        self.exit_when_ready = exit_when_ready
        from fieldtui.campaigns import active

        self.campaign = active(None)
        self.scores: dict[int, float] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="sheet", cursor_type="row")
        yield Static("0", id="total")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("No.", "Item", "Max", "Score")
        for it in self.campaign.items:
            table.add_row(str(it.number), it.text, f"{it.max:g}", "", key=str(it.number))
        for extra in ("58", "59", "60", "61"):
            table.add_row(extra, "bonus / veto", "", "", key=extra)
        table.focus()
        if self.exit_when_ready:
            self.call_after_refresh(ready_exit, self)

    def _set(self, full: bool) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        n = row + 1
        if n > len(self.campaign.items):
            n = 1
            table.move_cursor(row=0)
        value = self.campaign.item(n).max if full else 0.0
        self.scores[n] = value
        table.update_cell(str(n), table.ordered_columns[3].key, f"{value:g}")
        self.query_one("#total", Static).update(f"{sum(self.scores.values()):g}")
        table.move_cursor(row=(row + 1) % len(self.campaign.items))

    def action_full(self) -> None:
        self._set(True)

    def action_zero(self) -> None:
        self._set(False)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "bare"
    app = BareApp() if which == "bare" else NaiveChecklist(exit_when_ready=True)
    app.run(headless=True)

"""Form inputs that follow the app's settings (no cursor blink in tests and snapshots)."""

from __future__ import annotations

from textual.widgets import Input


class FieldInput(Input):
    """An Input whose cursor blinks only if the app allows it (``app.blink``)."""

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):
            self.cursor_blink = False

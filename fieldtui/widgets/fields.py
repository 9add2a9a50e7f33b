"""Form inputs that follow the app's settings (no cursor blink in tests and snapshots)."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FieldInput(Input):
    """An Input whose cursor blinks only if the app allows it (``app.blink``), and whose typing
    does not lay the screen out again.

    Textual's Input sets its virtual size (the scrollable width of its text) on every key, and
    ``virtual_size`` is a reactive that lays out the whole screen: the ledger's filter paid a
    layout pass of every widget per key. An input's own size does not follow its text (width
    from CSS, one line; Input itself still asks for layout when its width is ``auto``), so here a
    new virtual size only repaints it.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):
            self.cursor_blink = False

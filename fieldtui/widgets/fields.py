"""Form inputs that follow the app's settings (no cursor blink in tests and snapshots)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, Select


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


class FormSelect(Select[str], inherit_bindings=False):
    """A Select for a form whose Enter moves to the next field, like the inputs around it.

    Textual's Select opens its drop-down on Enter as well as on Space and the arrows; in a form
    where Enter means "next field" that trapped the officer in the list. Here Space, Down and Up
    open it; once open, Enter picks the highlighted option as usual.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,space,up", "show_overlay", "Show menu", show=False),
        Binding("enter", "next_field", "Next field", show=False),
    ]

    def action_next_field(self) -> None:
        self.screen.focus_next()

"""The one confirmation dialog: every destructive or locking action goes through it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from fieldtui.screens.context import services
from fieldtui.screens.keys import scoped


@scoped("confirm")
class ConfirmModal(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only for an explicit yes.

    ``push_screen(ConfirmModal(question), callback)`` or ``await push_screen_wait(...)`` in a worker.
    """

    DEFAULT_CSS = """
    ConfirmModal {
        align: center middle;
        & > Vertical {
            width: auto;
            min-width: 40;
            max-width: 76;
            height: auto;
            border: thick $warning;
            background: $surface;
            padding: 1 2;
        }
        & .confirm--title { text-style: bold; margin-bottom: 1; }
        & .confirm--detail { color: $text-muted; margin-bottom: 1; }
        & Horizontal { height: auto; align-horizontal: right; }
        & Button { margin-left: 2; }
    }
    """

    def __init__(self, question: str, detail: str = "", *, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        tr = services(self).tr
        with Vertical():
            yield Static(self.question, classes="confirm--title", markup=False)
            if self.detail:
                yield Static(self.detail, classes="confirm--detail", markup=False)
            with Horizontal():
                yield Button(self.no_label or tr("取消 (N)", "No (N)"), id="no", compact=True)
                yield Button(
                    self.yes_label or tr("确定 (Y)", "Yes (Y)"),
                    id="yes",
                    variant="warning",
                    compact=True,
                )

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no", Button))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)

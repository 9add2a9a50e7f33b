"""Shown in place of an area whose module is not part of this build (yet)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Static

from fieldtui.actions import BY_ID
from fieldtui.screens.base import FieldScreen
from fieldtui.screens.keyhelp import keys_text
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar


class PendingScreen(FieldScreen):
    CSS_PATH = "pending.tcss"
    DESCRIPTION = ("此功能尚未安装。", "This part is not installed.")

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        action = BY_ID[f"app.{self.mode}"]
        name = action.label(self.svc.lang)
        home = keys_text(self.app, self.svc.settings.keymap(), "app.dashboard")
        yield NavBar(self.mode)
        with Middle(), Center():
            yield Static(
                self.tr(
                    f"“{name}”功能尚未包含在此版本中。\n其他功能不受影响：按{home}回到总览。",
                    f"“{name}” is not part of this build yet.\n"
                    f"Everything else works: press {home} for the dashboard.",
                ),
                id="pending-message",
                markup=False,
            )
        yield KeyFooter()

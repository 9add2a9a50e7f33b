"""The navigation bar at the top of every area's screen: the six areas and their keys."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from fieldtui.actions import BY_ID
from fieldtui.screens.context import services
from fieldtui.screens.keyhelp import effective_keys, key_display

AREAS = ("dashboard", "ledger", "plan", "scoring", "batches", "settings")


class NavBar(Widget):
    """One line: ``F2 总览  F3 台账 …`` with the current area highlighted.

    Keys follow the user's keymap; call :meth:`refresh` after the keymap changes.
    """

    DEFAULT_CSS = """
    NavBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
        & > .navbar--current {
            background: $primary;
            color: $text;
            text-style: bold;
        }
        & > .navbar--key {
            color: $accent;
            text-style: bold;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"navbar--current", "navbar--key"}

    def __init__(
        self,
        current: str,
        *,
        areas: tuple[str, ...] | None = None,
        scope: str | None = None,
        id: str | None = None,
    ) -> None:
        """``areas`` name the actions ``<scope>.<area>``; by default the app's own (its
        ``NAV_AREAS`` and ``SCOPE``: the county's app has other areas than the township's)."""
        super().__init__(id=id)
        self.current = current
        self.areas = areas
        self.scope = scope

    def render(self) -> Text:
        svc = services(self)
        keymap = svc.settings.keymap()
        current = self.get_component_rich_style("navbar--current")
        key_style = self.get_component_rich_style("navbar--key")
        out = Text(no_wrap=True, overflow="ellipsis")
        areas = self.areas or tuple(getattr(self.app, "NAV_AREAS", AREAS))
        scope = self.scope or str(getattr(self.app, "SCOPE", "app"))
        for area in areas:
            action = BY_ID[f"{scope}.{area}"]
            keys = effective_keys(keymap, action.id)
            key = key_display(self.app, keys[0]) if keys else ""
            label = action.label(svc.lang)
            part = Text()
            part.append(f" {key}", style=key_style)
            part.append(f" {label} ")
            if area == self.current:
                part.stylize(current)
            out.append_text(part)
        return out

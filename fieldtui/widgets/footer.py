"""The key bar at the bottom of every screen: Textual's Footer, rebuilt only when its keys change.

Textual's Footer rebuilds all its key widgets (removes them, composes, mounts and styles new
ones) every time the screen announces that its bindings may have changed: when it is mounted,
when the focus moves, when the app gains focus, when the keymap is set. At start-up that was
three rebuilds of identical keys, a fifth of the first screen's own cost. This one keeps a
signature of what it shows, coalesces the announcements that arrive before the next refresh into
one check, and rebuilds only if the keys, labels or their enabled state differ.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[Any]) -> tuple[tuple[object, ...], ...]:
    """Everything of the screen's active bindings that the footer draws."""
    return tuple(
        (b.key, b.key_display, b.action, b.description, b.show, b.group, enabled, tooltip)
        for (_node, b, enabled, tooltip) in screen.active_bindings.values()
    )


class KeyFooter(Footer):
    """A :class:`textual.widgets.Footer` that recomposes only when what it shows changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[object, ...], ...] | None = None
        self._check_pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = shown_keys(self.screen)
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

"""The key bar at the bottom of every screen: Textual's Footer, fitted to the width, rebuilt only
when what it shows changes.

What it shows: the first key of each shown action, the screen's own actions first in the order of
the action table (fieldtui/actions.py lists the most important first, so a key the user rebinds
keeps its place), then the app's; the help key (F1) last. Keys that do not fit the width are left
out whole, never cut, from the least important, and the help key's label then says that it lists
every key ("F1 全部按键").

When it rebuilds: Textual's Footer rebuilds all its key widgets (removes them, composes, mounts and
styles new ones) every time the screen announces that its bindings may have changed: when it is
mounted, when the focus moves, when the app gains focus, when the keymap is set. At start-up that
was three rebuilds of identical keys, a fifth of the first screen's own cost. This one keeps a
signature of what it shows (and the width it fitted), coalesces the announcements that arrive
before the next refresh into one check, and rebuilds only if that signature differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

from fieldtui.actions import ACTIONS

_ORDER = {a.id: i for i, a in enumerate(ACTIONS)}
_APP_SCOPES = {"app", "county"}  # the app's own actions (township, county): after the screen's
HELP_ACTION = "help"  # the verb of app.help and county.help
# The help key's label when keys had to be left out: it lists them all.
ALL_KEYS = ("全部按键", "All keys")


def shown_keys(screen: Screen[Any]) -> tuple[tuple[object, ...], ...]:
    """Everything of the screen's active bindings that the footer draws."""
    return tuple(
        (b.key, b.key_display, b.action, b.description, b.show, b.group, enabled, tooltip)
        for (_node, b, enabled, tooltip) in screen.active_bindings.values()
    )


@dataclass(frozen=True, slots=True)
class Shown:
    binding: Binding
    enabled: bool
    tooltip: str
    key: str  # as displayed
    description: str


def rank(binding: Binding) -> tuple[int, int]:
    """Sort key: the screen's actions in table order, then keys outside the table, then the
    app's actions in table order."""
    index = _ORDER.get(binding.id or "")
    if index is None:
        return (1, 0)
    scope = ACTIONS[index].scope
    return (2 if scope in _APP_SCOPES else 0, index)


def key_width(key: str, description: str, compact: bool) -> int:
    """Cells a FooterKey takes (Textual 8.2.8's padding; compact adds a right margin)."""
    if compact:
        return cell_len(key) + (1 + cell_len(description) if description else 0) + 1
    return cell_len(key) + 2 + (cell_len(description) + 1 if description else 0)


MORE = " …"  # the end of a footer that left keys out and has no help key to say so


def fit(keys: list[Shown], width: int, compact: bool, all_keys: str) -> tuple[list[Shown], bool]:
    """The keys to show in ``width`` cells, and whether any was left out: in order, whole keys
    only, the help key last (with ``all_keys`` as its label when something was left out)."""
    helps = [k for k in keys if k.binding.action == HELP_ACTION]
    others = [k for k in keys if k.binding.action != HELP_ACTION]
    total = sum(key_width(k.key, k.description, compact) for k in keys)
    if total <= width:
        return others + helps, False
    if helps:
        h = helps[0]
        helps = [Shown(h.binding, h.enabled, h.tooltip, h.key, all_keys)]
        room = width - key_width(h.key, all_keys, compact)
    else:
        room = width - cell_len(MORE)
    out: list[Shown] = []
    for k in others:
        w = key_width(k.key, k.description, compact)
        if w > room:
            break
        out.append(k)
        room -= w
    return out + helps, True


class KeyFooter(Footer):
    """A :class:`textual.widgets.Footer` that fits its width and recomposes only when what it
    shows changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None
        self._check_pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._check()

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready:
            self._check()

    def _check(self) -> None:
        if not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    def _width(self) -> int:
        return self.size.width or self.screen.size.width or self.app.size.width

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = (self._width(), shown_keys(self.screen))
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def keys(self) -> list[Shown]:
        """The first key of each shown action, most important first."""
        first: dict[str, Shown] = {}
        for _node, b, enabled, tooltip in self.screen.active_bindings.values():
            if b.show and b.action not in first:
                first[b.action] = Shown(b, enabled, tooltip, self.app.get_key_display(b),
                                        b.description)  # fmt: skip
        return sorted(first.values(), key=lambda k: rank(k.binding))

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self._width()
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None:  # docked right, after a border and a space
            width -= (
                key_width(
                    self.app.get_key_display(palette.binding), palette.binding.description, False
                )
                + 2
            )
        lang = getattr(self.app, "lang", "zh")
        all_keys = ALL_KEYS[1] if lang == "en" else ALL_KEYS[0]
        keys, cut = fit(self.keys(), width, self.compact, all_keys)
        for k in keys:
            yield FooterKey(
                k.binding.key,
                k.key,
                k.description,
                k.binding.action,
                disabled=not k.enabled,
                tooltip=k.tooltip,
            ).data_bind(compact=Footer.compact)
        if cut and not any(k.binding.action == HELP_ACTION for k in keys):
            yield FooterLabel(MORE)
        if palette is not None:
            _node, binding, enabled, _tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

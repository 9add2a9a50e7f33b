"""The command palette: every action of the app and of the current screen, as "group: verb"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from fieldtui.actions import Action
from fieldtui.screens.context import services
from fieldtui.screens.help import screen_scope
from fieldtui.screens.keyhelp import keys_text, scope_actions, scope_label
from fieldtui.widgets.navbar import AREAS

# Actions that make no sense from the palette (the palette itself, closing dialogs).
_SKIP = {"app.palette"}
_AREAS = {f"app.{area}" for area in AREAS}


class FieldCommands(Provider):
    """Titles are "台账: 新增" / "Ledger: Add"; the help text shows the key."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        svc = services(self.screen)
        lang = svc.lang
        keymap = svc.settings.keymap()
        scope = screen_scope(self.screen, self.app.current_mode)
        out: list[tuple[str, str, Callable[[], Any]]] = []
        groups: list[tuple[str, list[Action]]] = [("app", scope_actions("app"))]
        if scope != "app":
            groups.insert(0, (scope, scope_actions(scope)))
        for group, actions in groups:
            for a in actions:
                if a.id in _SKIP:
                    continue
                verb = a.id.split(".", 1)[1]
                # The six areas read as "Go to: Ledger"; other actions under their scope.
                label_scope = "goto" if a.id in _AREAS else group
                title = f"{scope_label(label_scope, lang)}: {a.label(lang)}"
                target = self.app if group == "app" else self.screen
                run: Callable[[], Any] = partial(target.run_action, verb)
                out.append((title, keys_text(self.app, keymap, a.id), run))
        return out

    async def discover(self) -> Hits:
        for title, keys, run in self._commands():
            yield DiscoveryHit(title, run, help=keys)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, keys, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=keys)

"""The command palette: every action of the app and of the current screen, as "group: verb".

A command is found by its title in either language and by the pinyin of the Chinese one: in the
Chinese interface ``ledger``, ``taizhang`` and ``tz`` all find 台账. The pinyin comes from a table
generated from the action table (fieldtui/action_pinyin.py): pypinyin is never imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.widgets.option_list import Option

from fieldtui.action_pinyin import PINYIN
from fieldtui.actions import SCOPES, Action
from fieldtui.screens.context import services
from fieldtui.screens.help import screen_scope
from fieldtui.screens.keyhelp import keys_text, scope_actions, scope_label
from fieldtui.widgets.navbar import AREAS

# Actions that make no sense from the palette (the palette itself, closing dialogs).
_SKIP = {"app.palette"}
_AREAS = {f"app.{area}" for area in AREAS}


@dataclass(frozen=True, slots=True)
class Command:
    title: str  # as shown, in the interface language
    keys: str  # the keys in effect, as shown
    run: Callable[[], Any]
    search: tuple[str, ...]  # the title in both languages, then its pinyin forms


def pinyin_forms(scope_zh: str, label_zh: str) -> list[str]:
    """The pinyin a person may type for "scope: label": full or initials, with or without the
    scope (``tz xz``, ``taizhang xinzeng``, ``xz``)."""
    scope_keys = PINYIN.get(scope_zh, "").split()
    label_keys = PINYIN.get(label_zh, "").split()
    return [f"{s} {k}" for s in scope_keys for k in label_keys] or label_keys


def search_texts(scope: str, a: Action, lang: str) -> tuple[str, ...]:
    zh_scope, en_scope = SCOPES.get(scope, (scope, scope))
    zh, en = f"{zh_scope}: {a.zh}", f"{en_scope}: {a.en}"
    first, second = (en, zh) if lang == "en" else (zh, en)
    return (first, second, *pinyin_forms(zh_scope, a.zh))


class FieldCommands(Provider):
    """Titles are "台账: 新增" / "Ledger: Add"; the help text shows the key."""

    def _commands(self) -> list[Command]:
        svc = services(self.screen)
        lang = svc.lang
        keymap = svc.settings.keymap()
        scope = screen_scope(self.screen, self.app.current_mode)
        out: list[Command] = []
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
                out.append(
                    Command(
                        title,
                        keys_text(self.app, keymap, a.id),
                        run,
                        search_texts(label_scope, a, lang),
                    )
                )
        return out

    async def discover(self) -> Hits:
        for cmd in self._commands():
            yield DiscoveryHit(cmd.title, cmd.run, help=cmd.keys)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in self._commands():
            score, best = max((matcher.match(text), i) for i, text in enumerate(cmd.search))
            if score <= 0:
                continue
            # The title is highlighted where the query matched it; a match in the other
            # language or in pinyin shows the title as it is.
            shown = matcher.highlight(cmd.title) if best == 0 else Content(cmd.title)
            yield Hit(score, shown, cmd.run, text=cmd.title, help=cmd.keys)


class FieldPalette(CommandPalette):
    """Textual's command palette with its own texts in the interface language."""

    def __init__(self, placeholder: str, no_matches: str) -> None:
        super().__init__(placeholder=placeholder, id="--command-palette")
        self.no_matches = no_matches

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """As Textual's (8.2.8), with the "No matches found" line translated."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(self.no_matches, style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)

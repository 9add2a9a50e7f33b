"""F1 / ? help: what the current screen is for, and its keys and the app's, from the action table."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from fieldtui.screens.context import services
from fieldtui.screens.keyhelp import keys_text, scope_actions, scope_label
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter


class Paragraphs(Widget):
    """Plain text wrapped the way Chinese is read (fieldtui.widgets.cjkwrap): a line may break
    after any Chinese character, not only at the spaces around a key name; one paragraph per
    line of the text."""

    DEFAULT_CSS = "Paragraphs { height: auto; }"

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text

    def lines(self, width: int) -> list[str]:
        from fieldtui.widgets.cjkwrap import wrap

        return [line for para in self.text.split("\n") for line in wrap(para, width)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n".join(self.lines(self.content_region.width)), no_wrap=True)


def screen_scope(screen: Screen[Any], mode: str) -> str:
    """The action scope of a screen: its SCOPE attribute, else the mode it belongs to."""
    return str(getattr(screen, "SCOPE", "") or mode)


@scoped("help")
class HelpScreen(ModalScreen[None]):
    SCOPE = "help"
    CSS_PATH = "help.tcss"

    def __init__(self, about: Screen[Any]) -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        svc = services(self)
        lang = svc.lang
        tr = svc.tr
        scope = screen_scope(self.about, self.app.current_mode)
        zh, en = getattr(self.about, "DESCRIPTION", ("", "")) or ("", "")
        description = (en if lang == "en" else zh) or tr("（此页面没有说明）", "(no description)")
        with Vertical(id="help-box"):
            yield Static(
                tr(f"帮助：{scope_label(scope, lang)}", f"Help: {scope_label(scope, lang)}"),
                id="help-title",
            )
            with VerticalScroll(id="help-body"):
                yield Paragraphs(description, id="help-description")
                # The app's own keys: "app" for the township's app, "county" for the county's.
                app_scope = str(getattr(self.app, "SCOPE", "app"))
                for group in (scope, app_scope):
                    actions = scope_actions(group)
                    if not actions or (group == app_scope and scope == app_scope):
                        continue
                    yield Static(self.table(group), classes="help-keys")
            if app_scope != "app":  # the settings and the palette are the township app's
                yield KeyFooter()
                return
            keymap = svc.settings.keymap()
            settings_key = keys_text(self.app, keymap, "app.settings")
            palette_key = keys_text(self.app, keymap, "app.palette")
            yield Static(
                tr(
                    f"在设置（{settings_key}）的“快捷键”中可改键；"
                    f"命令面板（{palette_key}）可按名称查找每个操作。",
                    f"Keys can be changed under Settings ({settings_key}), Keys; "
                    f"the command palette ({palette_key}) finds every action by name.",
                ),
                id="help-hint",
                markup=False,
            )
        yield KeyFooter()

    def table(self, scope: str) -> Table:
        svc = services(self)
        lang = svc.lang
        keymap = svc.settings.keymap()
        t = Table(
            title=Text(scope_label(scope, lang), style="bold"),
            title_justify="left",
            show_header=False,
            box=None,
            padding=(0, 2, 0, 0),
            expand=False,
        )
        t.add_column(no_wrap=True, style="bold")
        t.add_column()
        for a in scope_actions(scope):
            t.add_row(keys_text(self.app, keymap, a.id), a.label(lang))
        return t

    def action_close(self) -> None:
        self.dismiss(None)

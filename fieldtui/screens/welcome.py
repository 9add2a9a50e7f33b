"""The first start with an empty database: import a ledger file, add by hand, or load the demo."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from fieldtui.screens.context import services
from fieldtui.screens.keyhelp import keys_text
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter

CHOICES = ("import", "add", "demo")


@scoped("welcome")
class WelcomeScreen(ModalScreen[str | None]):
    """Dismisses with "import", "add", "demo", or None to look around first."""

    SCOPE = "welcome"
    CSS_PATH = "welcome.tcss"
    DESCRIPTION = (
        "首次使用：数据库中还没有服务站。可导入台账文件、逐个添加，或载入演示乡镇先熟悉操作。",
        "First start: the database has no stations yet. Import a ledger file, add stations by "
        "hand, or load a demo township to try things out.",
    )

    def compose(self) -> ComposeResult:
        svc = services(self)
        tr = svc.tr
        keymap = svc.settings.keymap()
        labels = {
            "import": tr(
                "导入台账文件（Excel 或 CSV，导入前逐行检查）",
                "Import a ledger file (Excel or CSV, checked row by row first)",
            ),
            "add": tr("逐个添加服务站", "Add stations by hand"),
            "demo": tr(
                "载入演示乡镇（24 个服务站，用于熟悉操作）",
                "Load the demo township (24 stations, for trying things out)",
            ),
        }
        with Vertical(id="welcome-box"):
            yield Static(tr("欢迎使用", "Welcome"), id="welcome-title")
            yield Static(
                tr(
                    f"当前验收方案：{svc.campaign.title_for('zh')}\n"
                    "数据库中还没有服务站。请选择如何开始：",
                    f"Campaign: {svc.campaign.title_for('en')}\n"
                    "The database has no stations yet. How would you like to start?",
                ),
                id="welcome-text",
                markup=False,
            )
            # Plain lines, not an OptionList: the keys are the way in, and the first start
            # should not pay for another widget type's import and stylesheet.
            with Vertical(id="welcome-choices"):
                for c in CHOICES:
                    key = keys_text(self.app, keymap, f"welcome.{c}")
                    yield Static(
                        f"[b]{escape(key):>3}[/b]  {escape(labels[c])}",
                        classes="welcome-choice",
                    )
            yield Static(
                tr(
                    f"按 {keys_text(self.app, keymap, 'welcome.skip')} 先看看；"
                    f"随时按 {keys_text(self.app, keymap, 'welcome.help')} 查看帮助。",
                    f"Press {keys_text(self.app, keymap, 'welcome.skip')} to look around first; "
                    f"{keys_text(self.app, keymap, 'welcome.help')} shows help anywhere.",
                ),
                id="welcome-hint",
                markup=False,
            )
        yield KeyFooter()

    def action_import(self) -> None:
        self.dismiss("import")

    def action_add(self) -> None:
        self.dismiss("add")

    def action_demo(self) -> None:
        self.dismiss("demo")

    def action_skip(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

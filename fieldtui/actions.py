"""The one action table: id, default keys, description in Chinese and English, scope.

It drives the bindings, the footer, the F1 help screen, the command palette and the user's
``[keymap]`` in settings.toml. Plain data: no Textual import here, so settings can validate a
keymap without loading the UI.

Within a scope, list the most important action first: a narrow footer shows the first ones and
leaves the rest to the help screen (fieldtui/widgets/footer.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Action:
    """One user action: its id, default keys, labels in both languages, and scope."""

    id: str
    keys: str  # Textual key names, comma-separated; the first is shown in the footer
    zh: str
    en: str
    scope: str  # "app" for everywhere, else the screen's name
    show: bool = True  # shown in the footer
    # Checked when the key arrives, before it reaches the focused widget. For keys that move the
    # focus: letters typed right after them (a fast typist, a paste) then follow the new focus.
    priority: bool = False

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


ACTIONS: tuple[Action, ...] = (
    # Everywhere
    # The six areas: shown in the navigation bar at the top of every screen, not in the footer.
    # Priority: they work from anywhere, a dialog included (it stays open in its own area).
    Action("app.dashboard", "f2", "总览", "Dashboard", "app", show=False, priority=True),
    Action("app.ledger", "f3", "台账", "Ledger", "app", show=False, priority=True),
    Action("app.plan", "f4", "推进计划", "Plan", "app", show=False, priority=True),
    Action("app.scoring", "f5", "评分", "Scoring", "app", show=False, priority=True),
    Action("app.batches", "f6", "报送", "Batches", "app", show=False, priority=True),
    Action("app.settings", "f7", "设置", "Settings", "app", show=False, priority=True),
    Action("app.help", "f1,question_mark", "帮助", "Help", "app"),  # ? types into a field
    Action("app.palette", "ctrl+p", "命令", "Commands", "app", show=False, priority=True),
    Action("app.quit", "ctrl+q", "退出", "Quit", "app", priority=True),
    # Ledger
    Action("ledger.filter", "slash", "筛选", "Filter", "ledger", priority=True),
    Action("ledger.add", "a", "新增", "Add", "ledger"),
    Action("ledger.edit", "e,enter", "编辑", "Edit", "ledger"),
    Action("ledger.archive", "delete,x", "归档", "Archive", "ledger"),
    Action("ledger.import", "i", "导入", "Import", "ledger"),
    Action("ledger.sort", "s", "排序", "Sort", "ledger"),
    Action("ledger.score", "r", "评分", "Score", "ledger"),
    Action("ledger.unfilter", "escape", "清除筛选", "Clear filter", "ledger", show=False),
    # Plan
    Action("plan.earlier", "left,h", "提前一月", "Month earlier", "plan"),
    Action("plan.later", "right,l", "推后一月", "Month later", "plan"),
    Action("plan.clear", "delete,x", "取消计划", "Unplan", "plan"),
    Action("plan.set", "m,enter", "选择月份", "Set month", "plan"),
    # Scoring (digits and "." type a score; see fieldtui/screens/scoring.py). Retry and revise
    # show only when they apply, and then matter most after y and n.
    Action("scoring.full", "y,space", "满分", "Full", "scoring"),
    Action("scoring.zero", "n", "零分", "Zero", "scoring"),
    Action("scoring.retry", "r", "重试保存", "Retry save", "scoring"),
    Action("scoring.revise", "R", "修订", "Revise", "scoring"),
    Action("scoring.complete", "c", "完成", "Complete", "scoring"),
    Action("scoring.pick", "p", "选站", "Pick station", "scoring"),
    Action("scoring.fill", "f", "其余满分", "Fill rest", "scoring"),
    Action("scoring.goto", "g", "到第几项", "Go to item", "scoring"),
    Action("scoring.note", "m", "备注", "Note", "scoring"),
    Action("scoring.undo", "u,ctrl+z", "撤销", "Undo", "scoring"),
    Action("scoring.bonus", "b", "加分项", "Bonus", "scoring"),
    Action("scoring.veto", "v", "一票否决", "Veto", "scoring"),
    Action("scoring.redo", "ctrl+r,ctrl+y", "重做", "Redo", "scoring", show=False),
    Action("scoring.jump", "j", "跳到类别", "Go to category", "scoring", show=False),
    Action("scoring.date", "d", "访查日期", "Visit date", "scoring", show=False),
    Action("scoring.clear", "x,delete", "清除得分", "Clear score", "scoring", show=False),
    Action("scoring.enter", "enter", "确定/下一项", "Enter/next", "scoring", show=False),
    Action("scoring.cancel", "escape", "取消输入", "Cancel input", "scoring", show=False),
    Action("scoring.rubout", "backspace", "删除一位", "Delete digit", "scoring", show=False),
    Action("scoring.next_category", "tab", "下一类", "Next category", "scoring", show=False),
    Action("scoring.prev_category", "shift+tab", "上一类", "Prev. category", "scoring", show=False),
    # Batches
    Action("batches.seal", "s", "封存", "Seal", "batches"),
    Action("batches.export", "x", "导出", "Export", "batches"),
    Action("batches.email", "m", "发邮件", "E-mail", "batches"),
    Action("batches.send", "u", "上报", "Send", "batches"),
    Action("batches.attach", "a", "附加扫描件", "Attach scan", "batches"),
    # Shown in the batch's detail line when they apply (a review fetched, a station to correct).
    Action("batches.reviews", "v", "县级审核结果", "County review", "batches", show=False),
    Action("batches.correct", "o", "更正退回的服务站", "Correct a station", "batches", show=False),
    # First start with an empty database
    Action("welcome.import", "i", "导入台账文件", "Import a ledger", "welcome"),
    Action("welcome.add", "a", "逐个添加服务站", "Add by hand", "welcome"),
    Action("welcome.demo", "d", "载入演示乡镇", "Load the demo", "welcome"),
    Action("welcome.skip", "escape", "跳过", "Skip", "welcome"),
    # A modal screen sees none of the app's own keys: help is bound here as well.
    Action("welcome.help", "f1", "帮助", "Help", "welcome"),
    # Settings
    Action("settings.save", "ctrl+s", "保存", "Save", "settings"),
    Action("settings.rebind", "enter", "改键", "Change key", "settings", show=False),
    Action("settings.reset_key", "delete", "恢复默认键", "Default key", "settings", show=False),
    # Forms and dialogs (station form, import, month picker, key editor)
    Action("form.save", "ctrl+s", "保存", "Save", "form"),
    Action("form.cancel", "escape", "取消", "Cancel", "form"),
    # The confirmation dialog
    Action("confirm.yes", "y", "确定", "Yes", "confirm"),
    Action("confirm.no", "n,escape", "取消", "No", "confirm"),
    # The help screen
    Action("help.close", "escape,q,f1", "关闭", "Close", "help"),
    # The county centre's app (fieldtui county): its own areas, like the township's
    Action("county.overview", "f2", "总览", "Overview", "county", show=False, priority=True),
    Action("county.worklist", "f3", "抽查复核", "Spot checks", "county", show=False, priority=True),
    Action("county.scoring", "f5", "复核评分", "Re-score", "county", show=False, priority=True),
    Action("county.help", "f1", "帮助", "Help", "county"),
    Action("county.quit", "ctrl+q", "退出", "Quit", "county", priority=True),
    Action("county_overview.prev_period", "left_square_bracket", "上一季度", "Previous period",
           "county_overview"),
    Action("county_overview.next_period", "right_square_bracket", "下一季度", "Next period",
           "county_overview"),
    Action("county_overview.worklist", "w", "本季度抽查", "This period's checks", "county_overview"),
    Action("county_overview.reload", "r", "刷新", "Reload", "county_overview", show=False),
    Action("county_worklist.draw", "d", "抽取", "Draw", "county_worklist"),
    Action("county_worklist.rescore", "enter,r", "复核评分", "Re-score", "county_worklist"),
    Action("county_worklist.compare", "c", "对照", "Compare", "county_worklist"),
    Action("county_worklist.verdict", "v", "审核意见", "Verdict", "county_worklist"),
    Action("county_worklist.prev_period", "left_square_bracket", "上一季度", "Previous period",
           "county_worklist", show=False),
    Action("county_worklist.next_period", "right_square_bracket", "下一季度", "Next period",
           "county_worklist", show=False),
    Action("county_compare.all", "a", "全部/差异", "All or differences", "county_compare"),
    Action("county_compare.close", "q", "返回", "Back", "county_compare"),
)  # fmt: skip

# What each scope is, for the help screen and the command palette's groups.
SCOPES: dict[str, tuple[str, str]] = {
    "app": ("全局", "App"),
    "goto": ("转到", "Go to"),
    "dashboard": ("总览", "Dashboard"),
    "ledger": ("台账", "Ledger"),
    "plan": ("推进计划", "Plan"),
    "scoring": ("评分", "Scoring"),
    "batches": ("报送", "Batches"),
    "settings": ("设置", "Settings"),
    "welcome": ("开始", "Getting started"),
    "form": ("表单", "Form"),
    "confirm": ("确认", "Confirm"),
    "help": ("帮助", "Help"),
    "county": ("县级", "County"),
    "county_overview": ("县级总览", "County overview"),
    "county_worklist": ("抽查复核", "Spot checks"),
    "county_compare": ("评分对照", "Compare scores"),
}

ACTION_IDS: frozenset[str] = frozenset(a.id for a in ACTIONS)
BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}

_CHAR_NAMES = {
    "?": "question_mark",
    "/": "slash",
    "\\": "backslash",
    ".": "full_stop",
    ",": "comma",
    " ": "space",
    "-": "minus",
    "+": "plus",
    "=": "equals_sign",
    "[": "left_square_bracket",
    "]": "right_square_bracket",
}
_KEY = re.compile(r"^((ctrl|alt|shift|meta|super)\+)*([A-Za-z0-9_]+|[^\sA-Za-z0-9])$")


def parse_keys(text: str) -> list[str]:
    """Split a user's ``"ctrl+s, f2"`` into Textual key names; refuse what cannot be a key."""
    out = []
    for part in text.split(","):
        key = part.strip()
        if not key:
            if part:  # "," itself
                key = "comma"
            else:
                continue
        key = _CHAR_NAMES.get(key, key)
        if not _KEY.match(key):
            raise ValueError(f"{part.strip()!r} is not a key name")
        out.append(key)
    if not out:
        raise ValueError("no key given")
    return out

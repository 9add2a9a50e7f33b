"""Settings (设置): every key of the one settings schema, and the keymap.

Values are checked by ``Settings.set`` (the schema's own rules; an error names the key and is shown
at its field) on a copy first, so a form with any error saves nothing. ``Settings.save`` writes
settings.toml atomically with mode 0600. Secrets are never put in a field: an empty secret field
keeps the stored value.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from fieldtui.actions import ACTIONS, BY_ID, Action
from fieldtui.screens.base import FieldScreen
from fieldtui.screens.context import services
from fieldtui.screens.keyhelp import effective_keys, keys_text, scope_label
from fieldtui.screens.keys import scoped
from fieldtui.settings import SCHEMA, Secret, Settings, SettingsError, check_value
from fieldtui.widgets.fields import FieldInput
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar
from fieldtui.widgets.table import Column, FastTable, Row

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("基本信息", "General", ("unit", "officer", "phone", "lang", "campaign")),
    ("县级报送", "County endpoint", ("endpoint", "token", "ca_file")),
    (
        "电子邮件（SMTP）",
        "E-mail (SMTP)",
        (
            "smtp.host",
            "smtp.port",
            "smtp.user",
            "smtp.password",
            "smtp.security",
            "smtp.from",
            "smtp.ca_file",
        ),
    ),
    ("备份", "Backups", ("backup.keep",)),
)
CHOICES: dict[str, list[tuple[str, str, str]]] = {
    "lang": [("中文", "Chinese", "zh"), ("English", "English", "en")],
    "smtp.security": [
        ("SSL/TLS", "SSL/TLS", "ssl"),
        ("STARTTLS", "STARTTLS", "starttls"),
        ("不加密（仅测试）", "None (testing only)", "none"),
    ],
}
RESTART_KEYS = ("lang", "campaign")


# The schema's problems are English (they also reach the CLI and logs); the screen shows them
# in Chinese when the interface is Chinese.
_PROBLEMS_ZH: tuple[tuple[str, str], ...] = (
    (r"must be one of (.+)", r"只能是 \1 之一"),
    (r"must be text such as .*", "应为按键文字，如 f5 或 ctrl+s,f2"),
    (r"must be an 11-digit mobile .*", "应为11位手机号或带区号的固定电话，如 023-12345678"),
    (r"must be text", "应为文字"),
    (r"longer than (\d+) characters", r"超过 \1 个字符"),
    (r"contains control characters", "含有控制字符"),
    (r"is not a valid secret.*", "不是有效的令牌或密码（太长或含控制字符）"),
    (r"must be an http:// or https:// address", "应为 http:// 或 https:// 开头的地址"),
    (r"must be a port number 1\.\.65535", "应为 1 到 65535 之间的端口号"),
    (r"must be a whole number (\d+)\.\.(\d+)", r"应为 \1 到 \2 之间的整数"),
    (r"must be a file path", "应为文件路径"),
    (r"'(.*)' is not a key name", r"“\1”不是按键名称"),
    (r"no key given", "没有填写按键"),
    (r"unknown action.*", "没有这个操作"),
)


def problem_text(problem: str, lang: str) -> str:
    if lang == "en":
        return problem
    for pattern, zh in _PROBLEMS_ZH:
        if re.fullmatch(pattern, problem):
            return re.sub(pattern, zh, problem)
    return problem


def field_id(key: str) -> str:
    return "s-" + key.replace(".", "-")


def clashes(keymap: dict[str, str], action: Action, keys: list[str]) -> list[Action]:
    """Other actions that would answer the same key where this one does."""
    out = []
    for other in ACTIONS:
        if other.id == action.id:
            continue
        shared = other.scope == action.scope or "app" in (other.scope, action.scope)
        if shared and set(effective_keys(keymap, other.id)) & set(keys):
            out.append(other)
    return out


@scoped("settings")
class SettingsScreen(FieldScreen):
    SCOPE = "settings"
    CSS_PATH = "settings.tcss"
    DESCRIPTION = (
        "设置：填报单位、经办人、界面语言、当前验收方案、县级接收地址和令牌、SMTP邮箱，以及快捷键。"
        "Ctrl+S保存（先全部检查，有错误时不保存）。令牌和密码不显示，留空表示不变。"
        "在“快捷键”表中按Enter改键，Del恢复默认键。设置文件的位置可用命令 fieldtui locate 查看。",
        "Settings: reporting unit, officer, language, active campaign, county endpoint and "
        "token, SMTP account, and the keys. Ctrl+S saves (everything is checked first; with any "
        "error nothing is saved). Token and password are never shown; leave them empty to keep "
        "them. In the Keys table, Enter changes a key and Del restores the default. "
        "`fieldtui locate` shows where the settings file is.",
    )

    def __init__(self) -> None:
        super().__init__()
        self.keymap_edits: dict[str, str | None] = {}  # action id -> keys, None = default
        # What a field showed when it differs from the stored value (the language in effect):
        # left as shown, it is not a change and is not written.
        self.shown: dict[str, str] = {}

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        svc = self.svc
        lang = svc.lang
        yield NavBar("settings")
        with VerticalScroll(id="settings-body", can_focus=False):
            for zh, en, keys in GROUPS:
                yield Static(en if lang == "en" else zh, classes="settings-group")
                for key in keys:
                    spec = SCHEMA[key]
                    with Horizontal(classes="field-row"):
                        yield Label(spec.en if lang == "en" else spec.zh, classes="field-label")
                        yield self._widget(key)
                    yield Static("", id=f"e-{field_id(key)}", classes="field-error", markup=False)
                    if key == "lang" and "lang" in self.shown:
                        yield Static(self._lang_note(), id="lang-note", classes="field-note")
            yield Static(self.tr("快捷键", "Keys"), classes="settings-group")
            yield Static(
                self.tr(
                    "Enter 改键 · Del 恢复默认键 · 改动在保存后生效",
                    "Enter changes a key · Del restores the default · applied when saved",
                ),
                classes="status-line",
            )
            yield FastTable(
                [
                    Column("action", self.tr("操作", "Action"), max_width=30),
                    Column("keys", self.tr("按键", "Keys"), max_width=24),
                    Column("default", self.tr("默认", "Default"), max_width=24),
                    Column("id", self.tr("编号", "Id"), max_width=22),
                ],
                id="settings-keys",
            )
        yield KeyFooter()

    def _widget(self, key: str) -> Input | Select[str]:
        svc = self.svc
        s = svc.settings
        spec = SCHEMA[key]
        fid = field_id(key)
        if key in CHOICES:
            options = [(en if svc.lang == "en" else zh, v) for zh, en, v in CHOICES[key]]
            value = str(s.get(key))
            if key == "lang" and svc.lang != value:  # --lang or FIELDTUI_LANG wins: show it
                value = self.shown[key] = svc.lang
            return Select(options, value=value, allow_blank=False, compact=True, id=fid)
        if key == "campaign":
            from fieldtui.campaigns import DEFAULT_CAMPAIGN, load_all

            known = load_all(svc.home)
            options = [(f"{c.id}  {c.title_for(svc.lang)}", c.id) for c in known.values()]
            current = str(s.get(key)) or svc.campaign.id or DEFAULT_CAMPAIGN
            return Select(options, value=current, allow_blank=False, compact=True, id=fid)
        if spec.secret:
            stored = bool(s.get(key))
            return FieldInput(
                "",
                password=True,
                placeholder=self.tr("已设置（留空则不变）", "set (leave empty to keep)")
                if stored
                else self.tr("未设置", "not set"),
                compact=True,
                id=fid,
            )
        value = s.get(key)
        return FieldInput("" if value is None else str(value), compact=True, id=fid)

    def _lang_note(self) -> str:
        stored = next(en if self.svc.lang == "en" else zh
                      for zh, en, v in CHOICES["lang"] if v == self.svc.settings.get("lang"))  # fmt: skip
        return self.tr(
            f"本次启动由命令行 --lang（或环境变量 FIELDTUI_LANG）指定，优先于此设置（{stored}）。",
            f"Set for this run by --lang (or FIELDTUI_LANG), which wins over this setting "
            f"({stored}).",
        )

    def on_mount(self) -> None:
        self.fill_keys()
        self.set_focus(self.query_one(f"#{field_id('unit')}"))

    # -- keymap table --------------------------------------------------------------------------

    def current_keymap(self) -> dict[str, str]:
        keymap = dict(self.svc.settings.keymap())
        for aid, keys in self.keymap_edits.items():
            if keys is None:
                keymap.pop(aid, None)
            else:
                keymap[aid] = keys
        return keymap

    def fill_keys(self) -> None:
        table = self.query_one("#settings-keys", FastTable)
        table.set_rows(self.key_row(i, a) for i, a in enumerate(ACTIONS))

    def key_row(self, index: int, a: Action) -> Row:
        lang = self.svc.lang
        keymap = self.current_keymap()
        changed = a.id in keymap
        keys = Text(keys_text(self.app, keymap, a.id), style="bold" if changed else "")
        default = keys_text(self.app, {}, a.id)
        return Row(index, [f"{scope_label(a.scope, lang)}: {a.label(lang)}", keys, default, a.id])

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        self.action_rebind()

    def _selected_action(self) -> Action | None:
        table = self.query_one("#settings-keys", FastTable)
        if not table.has_focus or table.cursor_key is None:
            return None
        return ACTIONS[table.cursor_key]

    def action_rebind(self) -> None:
        a = self._selected_action()
        if a is None:
            return
        keymap = self.current_keymap()
        self.app.push_screen(
            KeyEditor(a, ",".join(effective_keys(keymap, a.id)), keymap),
            lambda keys: self._rebound(a, keys),
        )

    def _rebound(self, a: Action, keys: str | None) -> None:
        if keys is None:
            return
        self.keymap_edits[a.id] = None if keys == a.keys else keys
        table = self.query_one("#settings-keys", FastTable)
        table.update_row(self.key_row(ACTIONS.index(a), a))

    def action_reset_key(self) -> None:
        a = self._selected_action()
        if a is None:
            return
        self.keymap_edits[a.id] = None
        table = self.query_one("#settings-keys", FastTable)
        table.update_row(self.key_row(ACTIONS.index(a), a))

    # -- save ----------------------------------------------------------------------------------

    def form_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in SCHEMA:
            widget = self.query_one(f"#{field_id(key)}")
            if isinstance(widget, Select):
                out[key] = str(widget.value)
            elif isinstance(widget, Input):
                # A typed token or password is wrapped at once: no local holds it in the clear
                # (Textual's crash report prints every frame's locals).
                out[key] = Secret(widget.value) if SCHEMA[key].secret else widget.value
        return out

    def action_save(self) -> None:
        svc = self.svc
        s = svc.settings
        candidate = Settings(path=s.path, values=dict(s.values), world_readable=s.world_readable)
        errors: dict[str, str] = {}
        for key, value in self.form_values().items():
            spec = SCHEMA[key]
            if spec.secret and value == "":
                continue  # empty secret field: keep what is stored
            try:
                normalised = check_value(key, value)
            except SettingsError as exc:
                errors[key] = exc.problem
                continue
            if normalised == s.get(key) or normalised == self.shown.get(key):
                continue
            if key == "campaign" and not s.get(key) and normalised == svc.campaign.id:
                continue  # the default campaign, shown as chosen: nothing changed
            if normalised == spec.default:
                candidate.unset(key)
            else:
                candidate.set(key, normalised)
        for aid, keys in self.keymap_edits.items():
            if keys is None:
                candidate.unset(f"keymap.{aid}")
            else:
                try:
                    candidate.set(f"keymap.{aid}", keys)
                except SettingsError as exc:
                    self.notify(str(exc), severity="error")
                    return
        self.show_errors(errors)
        if errors:
            first = next(k for k in SCHEMA if k in errors)
            self.set_focus(self.query_one(f"#{field_id(first)}"))
            self.notify(
                self.tr(
                    f"有 {len(errors)} 项需要修改，未保存。",
                    f"{len(errors)} problem(s): not saved.",
                ),
                severity="error",
            )
            return
        changed_restart = [k for k in RESTART_KEYS if candidate.get(k) != s.get(k)]
        try:
            candidate.save()
        except (OSError, SettingsError) as exc:
            self.notify(
                self.tr(f"无法写入设置文件：{exc}", f"Cannot write the settings file: {exc}"),
                severity="error",
            )
            return
        s.values = candidate.values
        s.world_readable = False
        self.shown = {k: v for k, v in self.shown.items() if v != s.get(k)}
        if "lang" not in self.shown:
            self.query("#lang-note").remove()
        self.keymap_edits.clear()
        self.app.set_keymap(s.keymap())
        for nav in self.app.query(NavBar):
            nav.refresh()
        self.fill_keys()
        self._clear_secrets()
        message = self.tr("设置已保存。", "Settings saved.")
        if changed_restart:
            message += self.tr(
                " 界面语言和验收方案在重新启动后生效。",
                " Language and campaign apply at the next start.",
            )
        self.notify(message)

    def _clear_secrets(self) -> None:
        s = self.svc.settings
        for key, spec in SCHEMA.items():
            if spec.secret:
                field = self.query_one(f"#{field_id(key)}", Input)
                field.value = ""
                field.placeholder = (
                    self.tr("已设置（留空则不变）", "set (leave empty to keep)")
                    if s.get(key)
                    else self.tr("未设置", "not set")
                )

    def show_errors(self, errors: dict[str, str]) -> None:
        for key in SCHEMA:
            err = self.query_one(f"#e-{field_id(key)}", Static)
            problem = problem_text(errors.get(key, ""), self.svc.lang)
            err.update(problem)
            err.set_class(bool(problem), "-shown")


@scoped("form")
class KeyEditor(ModalScreen[str | None]):
    """Edit one action's keys; returns the normalised key list ("f5,ctrl+s") or None."""

    SCOPE = "form"
    CSS_PATH = "settings.tcss"
    DESCRIPTION = (
        "改键：输入一个或多个键名，用逗号分隔，如 f5 或 ctrl+s,f2。Ctrl+S 或 Enter 确定，Esc 取消。",
        "Change a key: one or more key names separated by commas, such as f5 or ctrl+s,f2. "
        "Ctrl+S or Enter to confirm, Esc to cancel.",
    )

    def __init__(self, action: Action, keys: str, keymap: dict[str, str]) -> None:
        super().__init__()
        self.action_ = action
        self.keys = keys
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        svc = services(self)
        a = self.action_
        with Vertical(id="key-box"):
            yield Static(
                f"{scope_label(a.scope, svc.lang)}: {a.label(svc.lang)}  ({a.id})",
                id="key-title",
                markup=False,
            )
            yield FieldInput(self.keys, compact=True, id="key-input")
            yield Static("", id="key-error", classes="field-error", markup=False)
            yield Static(
                svc.tr(
                    f"默认：{BY_ID[a.id].keys}。键名如 f5、ctrl+s、a、question_mark（?）、slash（/）。",
                    f"Default: {BY_ID[a.id].keys}. Key names such as f5, ctrl+s, a, "
                    "question_mark (?), slash (/).",
                ),
                id="key-hint",
                markup=False,
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#key-input", Input))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        svc = services(self)
        raw = self.query_one("#key-input", Input).value
        err = self.query_one("#key-error", Static)
        try:
            keys = str(check_value(f"keymap.{self.action_.id}", raw))
        except SettingsError as exc:
            err.update(problem_text(exc.problem, svc.lang))
            err.add_class("-shown")
            return
        others = clashes(self.keymap, self.action_, keys.split(","))
        if others:
            names = "、".join(
                f"{scope_label(o.scope, svc.lang)}: {o.label(svc.lang)}" for o in others
            )
            err.update(svc.tr(f"与 {names} 冲突", f"clashes with {names}"))
            err.add_class("-shown")
            return
        self.dismiss(keys)

    def action_cancel(self) -> None:
        self.dismiss(None)

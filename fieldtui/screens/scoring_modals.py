"""The scoring screen's dialogs: pick a station, confirm, type a text, bonus entries, veto.

Each is a typed ``ModalScreen``; the bonus and veto panels write through the scoring screen (which
owns the writer) and show a refused or failed write in place, keeping the dialog open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from fieldtui.domain.scoring import BonusEntry, bonus_total, counted_bonus
from fieldtui.domain.search import filter_indices
from fieldtui.screens.context import services

if TYPE_CHECKING:
    from fieldtui.domain.rubric import Campaign


def _tr(screen: DOMNode, zh: str, en: str) -> str:
    return services(screen).tr(zh, en)


# -- confirmation -------------------------------------------------------------------------------


class ConfirmModal(ModalScreen[bool]):
    """Yes or no. ``y``/Enter confirms, ``n``/Esc declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", show=False),
        Binding("n,escape", "answer(False)", show=False),
    ]

    def __init__(self, title: str, lines: Sequence[str], *, danger: bool = False) -> None:
        super().__init__()
        self._title = title
        self._lines = list(lines)
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -danger" if self._danger else "")):
            yield Label(self._title, classes="dialog-title")
            for line in self._lines:
                yield Static(Content(line), classes="dialog-line")
            yield Static(
                _tr(self, "Enter 或 y 确认 · n 或 Esc 取消", "Enter or y: yes · n or Esc: no"),
                classes="dialog-keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# -- one line of text ---------------------------------------------------------------------------


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; ``check`` returns an error message or None. Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        title: str,
        hint: str,
        initial: str = "",
        *,
        check: Callable[[str], str | None] | None = None,
        max_length: int = 1000,
        placeholder: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._hint = hint
        self._initial = initial
        self._check = check
        self._max_length = max_length
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Input(
                self._initial,
                placeholder=self._placeholder,
                max_length=self._max_length,
                id="prompt-input",
            )
            yield Static("", id="prompt-error", classes="dialog-error")
            yield Static(self._hint, classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        problem = self._check(text) if self._check else None
        if problem:
            self.query_one("#prompt-error", Static).update(Content(problem))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- station picker -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PickRow:
    """A row of the picker: a station (open its draft or a new visit) or one of its completed
    visits (view it)."""

    station_id: int
    visit_id: int | None
    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class Pick:
    station_id: int
    visit_id: int | None


MAX_SHOWN = 40  # more than a screen holds; measuring each option is what a keystroke costs


class StationPicker(ModalScreen[Pick | None]):
    """Filter as you type (name, village, people, phone, pinyin or initials); Enter opens."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("down", "move('cursor_down')", show=False),
        Binding("up", "move('cursor_up')", show=False),
        Binding("pagedown", "move('page_down')", show=False),
        Binding("pageup", "move('page_up')", show=False),
    ]

    def __init__(self, stations: Sequence[tuple[PickRow, str]], visits: dict[int, list[PickRow]]):
        """``stations``: each station's row and its search haystack; ``visits``: by station id."""
        super().__init__()
        self._stations = list(stations)
        self._hays = [h for _, h in self._stations]
        self._visits = visits
        self._shown: list[PickRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(_tr(self, "选择服务站", "Pick a station"), classes="dialog-title")
            yield Input(
                placeholder=_tr(
                    self, "名称、拼音或首字母（如 yf）", "name, pinyin or initials (e.g. yf)"
                ),
                id="picker-filter",
            )
            yield OptionList(id="picker-list")
            yield Static("", id="picker-count", classes="dialog-keys")
            yield Static(
                _tr(
                    self,
                    "↑↓ 选择 · Enter 打开（有草稿则继续，否则新建今天的访查）· Esc 关闭",
                    "↑↓ choose · Enter open (its draft, else a new visit today) · Esc close",
                ),
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self._refilter("")
        self.query_one(Input).focus()

    @on(Input.Changed, "#picker-filter")
    def _changed(self, event: Input.Changed) -> None:
        self._refilter(event.value)

    def _refilter(self, query: str) -> None:
        idx = filter_indices(query, self._hays)
        rows: list[PickRow] = []
        for i in idx[:MAX_SHOWN]:
            row = self._stations[i][0]
            rows.append(row)
            rows.extend(self._visits.get(row.station_id, ()))
        self._shown = rows
        options = []
        for row in rows:
            if row.visit_id is None:
                prompt = Content.assemble((row.name, "bold"), "  ", (row.detail, "dim"))
            else:
                prompt = Content.assemble("   └ ", (row.detail, "italic"))
            options.append(Option(prompt))
        ol = self.query_one(OptionList)
        ol.set_options(options)
        if options:
            ol.highlighted = 0
        more = len(idx) - MAX_SHOWN
        count = _tr(
            self, f"{len(idx)} 个服务站", f"{len(idx)} station{'' if len(idx) == 1 else 's'}"
        )
        if more > 0:
            count += _tr(self, f"（只列出前 {MAX_SHOWN} 个）", f" (first {MAX_SHOWN} shown)")
        self.query_one("#picker-count", Static).update(Content(count), layout=False)

    def action_move(self, action: str) -> None:
        ol = self.query_one(OptionList)
        getattr(ol, f"action_{action}")()

    @on(Input.Submitted, "#picker-filter")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self.query_one(OptionList).highlighted)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self._shown):
            return
        row = self._shown[index]
        self.dismiss(Pick(row.station_id, row.visit_id))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- bonus entries ------------------------------------------------------------------------------


class BonusHost(Protocol):
    """What the bonus and veto panels need from the scoring screen."""

    bonus: list[tuple[int, BonusEntry]]
    veto: set[int]

    @property
    def campaign(self) -> Campaign: ...

    def add_bonus(self, entry: BonusEntry) -> str | None: ...

    def remove_bonus(self, bonus_id: int) -> str | None: ...

    def set_veto(self, condition: int, on: bool) -> str | None: ...


class BonusPanel(ModalScreen[None]):
    """List, add and remove bonus entries (items 58-60: item, level, matter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("delete", "remove", show=False),
    ]

    def __init__(self, host: BonusHost) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        c = self.host.campaign
        items = [
            (_tr(self, f"第 {b.number} 项（最多 {b.max:g} 分）", f"Item {b.number} (max {b.max:g})"),
             b.number)
            for b in c.bonus
        ]  # fmt: skip
        with Vertical(classes="dialog bonus"):
            yield Label(
                _tr(
                    self,
                    f"加分项（{c.bonus[0].number}–{c.bonus[-1].number}，合计最多 {c.bonus_cap:g} 分；同一事项只计最高加分）",
                    f"Bonus ({c.bonus[0].number}–{c.bonus[-1].number}, at most {c.bonus_cap:g} in all; "
                    "one matter counts once, at its highest)",
                ),
                classes="dialog-title",
            )
            yield OptionList(id="bonus-list")
            yield Static("", id="bonus-total", classes="dialog-line")
            with Horizontal(classes="bonus-form"):
                yield Select(items, value=c.bonus[0].number, allow_blank=False, id="bonus-item")
                # Never blank (so Textual's untranslated "Select" prompt never shows): it always
                # holds one of the chosen item's levels.
                levels = self._level_options(c.bonus[0].number)
                yield Select(levels, value=levels[0][1], allow_blank=False, id="bonus-level")
            yield Input(
                placeholder=_tr(self, "事项（必填）", "matter (required)"), id="bonus-matter"
            )
            yield Static("", id="bonus-error", classes="dialog-error")
            yield Static(
                _tr(
                    self,
                    "Tab 切换 · 在事项中按 Enter 添加 · 在列表中按 Delete 删除 · Esc 关闭",
                    "Tab: next field · Enter in the matter adds · Delete in the list removes · "
                    "Esc: close",
                ),
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self._refresh_list()
        self.query_one("#bonus-item", Select).focus()

    def _level_options(self, number: int) -> list[tuple[str, str]]:
        """The levels (58, 59) or allowed points (60) of a bonus item, as Select options."""
        b = self.host.campaign.bonus_item(number)
        if b is None:
            return []
        lang = services(self).lang
        if b.levels:
            return [(_tr(self, f"{lv.label(lang)}（{lv.points:g} 分）",
                         f"{lv.label(lang)} ({lv.points:g})"), lv.key) for lv in b.levels]  # fmt: skip
        return [(_tr(self, f"{p:g} 分", f"{p:g} points"), f"{p:g}") for p in b.allowed_points()]

    def _levels(self, number: int) -> None:
        opts = self._level_options(number)
        if not opts:
            return
        sel = self.query_one("#bonus-level", Select)
        sel.set_options(opts)
        sel.value = opts[0][1]

    @on(Select.Changed, "#bonus-item")
    def _item_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self._levels(event.value)

    def _refresh_list(self) -> None:
        lang = services(self).lang
        ol = self.query_one("#bonus-list", OptionList)
        opts = []
        entries = [e for _bid, e in self.host.bonus]
        counted = counted_bonus(entries)
        for i, e in enumerate(entries):
            b = self.host.campaign.bonus_item(e.item)
            level = ""
            if b is not None and e.level and (lv := b.level(e.level)) is not None:
                level = lv.label(lang) + " "
            dropped = (
                ""
                if i in counted
                else _tr(self, "  （同一事项，不计）", "  (same matter: not counted)")
            )
            opts.append(Option(Content.assemble((f"{e.item}  ", "bold"), level,
                                                (f"{e.points:g}", "bold"), "  ", (e.matter, "italic"),
                                                dropped)))  # fmt: skip
        if not opts:
            opts = [Option(_tr(self, "（没有加分项）", "(no bonus entries)"), disabled=True)]
        ol.set_options(opts)
        ol.highlighted = 0 if self.host.bonus else None
        total, _ = bonus_total(self.host.campaign, entries)
        self.query_one("#bonus-total", Static).update(
            Content(_tr(self, f"加分合计：{total:g}", f"Bonus counted: {total:g}"))
        )

    @on(Input.Submitted, "#bonus-matter")
    def _add(self, event: Input.Submitted) -> None:
        event.stop()
        item = self.query_one("#bonus-item", Select).value
        level = self.query_one("#bonus-level", Select).value
        if not isinstance(item, int) or not isinstance(level, str):
            return
        b = self.host.campaign.bonus_item(item)
        if b is None:
            return
        if b.levels:
            lv = b.level(level)
            entry = BonusEntry(item, lv.points if lv else 0.0, event.value, level)
        else:
            entry = BonusEntry(item, float(level), event.value)
        error = self.host.add_bonus(entry)
        self._error(error)
        if error is None:
            event.input.value = ""
            self._refresh_list()

    def action_remove(self) -> None:
        ol = self.query_one("#bonus-list", OptionList)
        if not ol.has_focus or ol.highlighted is None or not self.host.bonus:
            return
        bid, _ = self.host.bonus[ol.highlighted]
        self._error(self.host.remove_bonus(bid))
        self._refresh_list()

    def _error(self, text: str | None) -> None:
        self.query_one("#bonus-error", Static).update(Content(text or ""))

    def action_close(self) -> None:
        self.dismiss(None)


class VetoPanel(ModalScreen[None]):
    """The one-vote-veto conditions: digits or Enter/space toggle one; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("space", "toggle_highlighted", show=False),
        *[Binding(str(n), f"flip({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, host: BonusHost) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        c = self.host.campaign
        with Vertical(classes="dialog veto"):
            yield Label(
                _tr(
                    self,
                    f"{c.veto_number} 一票否决（任一项成立即为未达标）",
                    f"{c.veto_number} One-vote veto (any one fails the station)",
                ),
                classes="dialog-title",
            )
            yield OptionList(id="veto-list")
            yield Static("", id="veto-error", classes="dialog-error")
            yield Static(
                _tr(
                    self,
                    "数字键或 Enter/空格 切换所选条件 · Esc 关闭",
                    "A digit, or Enter/space on a condition, toggles it · Esc: close",
                ),
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self._render_list()
        ol = self.query_one(OptionList)
        ol.highlighted = 0
        ol.focus()

    def _render_list(self) -> None:
        lang = services(self).lang
        ol = self.query_one(OptionList)
        keep = ol.highlighted
        opts = []
        for v in self.host.campaign.veto_conditions:
            on_ = v.number in self.host.veto
            mark = ("[×] ", "bold red") if on_ else ("[ ] ", "")
            opts.append(Option(Content.assemble(mark, f"{v.number}. {v.label(lang)}")))
        ol.set_options(opts)
        ol.highlighted = keep if keep is not None else 0

    @on(OptionList.OptionSelected, "#veto-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_flip(event.option_index + 1)

    def action_toggle_highlighted(self) -> None:
        h = self.query_one(OptionList).highlighted
        if h is not None:
            self.action_flip(h + 1)

    def action_flip(self, number: int) -> None:
        if not any(v.number == number for v in self.host.campaign.veto_conditions):
            return
        error = self.host.set_veto(number, number not in self.host.veto)
        self.query_one("#veto-error", Static).update(Content(error or ""))
        self._render_list()

    def action_close(self) -> None:
        self.dismiss(None)

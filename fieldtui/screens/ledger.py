"""Ledger (台账): the stations, filtered as you type (pinyin too), sorted, added, edited, archived.

The table is built when the screen first opens, never at start. Filtering matches the stored
pinyin keys (fieldtui.domain.search): pypinyin is not loaded to filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from fieldtui.domain.ledger import Station, StationInput
from fieldtui.domain.progress import counting_visits
from fieldtui.domain.search import haystack
from fieldtui.i18n import month_label, score
from fieldtui.screens.base import FieldScreen
from fieldtui.screens.dashboard import short_name
from fieldtui.screens.keys import scoped
from fieldtui.screens.station_form import StationForm, role_label
from fieldtui.store.db import StoreError
from fieldtui.widgets.confirm import ConfirmModal
from fieldtui.widgets.fields import FieldInput
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.table import Column, FastTable, Row

# The state of a station's counting visit (latest complete visit on or before today).
STATE_LABELS = {
    "passed": ("达标", "passed"),
    "failed": ("未达标", "failed"),
    "vetoed": ("否决", "vetoed"),
    "draft": ("草稿", "draft"),
    "none": ("未验收", "not yet"),
}
STATE_STYLE = {"passed": "green", "failed": "red", "vetoed": "bold red", "draft": "yellow"}


@dataclass(frozen=True, slots=True)
class StationLine:
    """A station with what the ledger shows beside it."""

    station: Station
    month: str | None
    total: float | None
    state: str  # a key of STATE_LABELS
    draft_open: bool


def station_lines(svc: Any, today: dt.date) -> list[StationLine]:
    """Every active station with its planned month, latest score and pass state."""
    store, c = svc.store, svc.campaign
    stations = store.stations.all()
    plan = store.plan.months(c.id)
    counting = counting_visits(store.assessments.visit_refs(c.id), today)
    outcomes = store.assessments.outcomes(c.id)
    drafts = store.assessments.draft_stations(c.id)
    out = []
    for s in stations:
        visit = counting.get(s.id)
        outcome = outcomes.get(visit.id) if visit is not None else None
        if outcome is not None:
            state = "vetoed" if outcome.vetoed else ("passed" if outcome.passed else "failed")
            total = outcome.total
        else:
            state = "draft" if s.id in drafts else "none"
            total = None
        out.append(StationLine(s, plan.get(s.id), total, state, s.id in drafts))
    return out


# Sort orders, cycled by the sort key: (id, zh, en, key function)
SORTS: tuple[tuple[str, str, str, Callable[[Row], Any]], ...] = (
    ("id", "录入顺序", "entry order", lambda r: r.key),
    ("name", "名称（拼音）", "name (pinyin)", lambda r: r.sort_values["pinyin"]),
    ("month", "计划月份", "planned month", lambda r: (r.sort_values["month"] or "9999", r.key)),
    ("score", "得分（低到高）", "score (low first)", lambda r: (r.sort_values["score"], r.key)),
    ("state", "验收状态", "state", lambda r: (r.sort_values["state"], r.key)),
)
STATE_ORDER = {"vetoed": 0, "failed": 1, "draft": 2, "none": 3, "passed": 4}


@scoped("ledger")
class LedgerScreen(FieldScreen):
    SCOPE = "ledger"
    CSS_PATH = "ledger.tcss"
    DESCRIPTION = (
        "台账：本乡镇服务对象100人以下的村（社区）退役军人服务站。按/输入即筛选（可用拼音"
        "全拼或首字母，如yf找到永丰村）；可新增、编辑、归档、导入，并直接开始评分。"
        "每行显示计划月份、最近一次验收得分和是否达标。",
        "Ledger: the township's village/community veterans service stations serving 100 people "
        "or fewer. Press / and type to filter (pinyin works too: yf finds 永丰村); add, edit, "
        "archive, import, and start scoring from here. Each row shows the planned month, the "
        "latest score and whether it passed.",
    )

    def __init__(self) -> None:
        super().__init__()
        self._drawn_revision = -1
        self._sort = 0
        self.lines: dict[int, StationLine] = {}

    def compose(self) -> ComposeResult:
        from fieldtui.widgets.navbar import NavBar

        tr = self.tr
        yield NavBar("ledger")
        yield FieldInput(
            placeholder=tr(
                "/ 筛选：名称、负责人、电话……或拼音（yf = 永丰）",
                "/ filter: name, person, phone… or pinyin (yf = 永丰)",
            ),
            compact=True,
            id="ledger-filter",
        )
        yield FastTable(
            self.columns(),
            empty_text=tr("没有符合条件的服务站", "No station matches"),
            fit=True,
            id="ledger-table",
        )
        yield Static(id="ledger-status", classes="status-line")
        yield KeyFooter()

    def columns(self) -> list[Column]:
        tr = self.tr
        # Priority: what a narrow terminal keeps (the table drops the lowest first, whole).
        return [
            Column("name", tr("名称", "Name"), max_width=24, priority=100),
            Column("head", tr("负责人", "Head"), max_width=8, priority=70),
            Column("contact", tr("联系人", "Contact"), max_width=8, priority=30),
            Column("phone", tr("联系电话", "Phone"), max_width=16, priority=50),
            Column("people", tr("对象", "Served"), justify="right", priority=40),
            Column("veterans", tr("军人", "Vets"), justify="right", priority=20),
            Column("month", tr("计划", "Plan"), justify="right", priority=80),
            Column("score", tr("得分", "Score"), justify="right", priority=85),
            Column("state", tr("状态", "State"), max_width=10, priority=90),
            Column("role", tr("职务", "Role"), max_width=12, priority=60),
            Column("village", tr("村（社区）", "Village"), max_width=16, priority=10),
            Column("notes", tr("备注", "Notes"), max_width=30, priority=0),
        ]

    @property
    def table(self) -> FastTable:
        return self.query_one("#ledger-table", FastTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#ledger-filter", Input)

    def on_mount(self) -> None:
        self.table.sort_by(SORTS[self._sort][3])
        self.reload()
        self.set_focus(self.table)

    def on_screen_resume(self) -> None:
        if self.svc.store.revision() != self._drawn_revision:
            self.reload()

    # -- data ----------------------------------------------------------------------------------

    def reload(self) -> None:
        svc = self.svc
        self._drawn_revision = svc.store.revision()
        lines = station_lines(svc, svc.today())
        self.lines = {ln.station.id: ln for ln in lines}
        self.table.set_rows(self.row(ln) for ln in lines)
        self.update_status()

    def row(self, ln: StationLine) -> Row:
        lang = self.svc.lang
        s = ln.station
        state_zh, state_en = STATE_LABELS[ln.state]
        state = state_en if lang == "en" else state_zh
        if ln.draft_open and ln.state != "draft":
            state += "✎"
        month = month_label(ln.month, lang) if ln.month else ""
        role = role_label(s.head_role, lang)
        cells: list[str | Text] = [
            short_name(s.name),
            s.head,
            s.contact,
            s.phone,
            "" if s.people_served is None else str(s.people_served),
            "" if s.veterans is None else str(s.veterans),
            month,
            score(ln.total) if ln.total is not None else "",
            Text(state, style=STATE_STYLE.get(ln.state, "")),
            role,
            s.village,
            s.notes,
        ]
        hay = haystack(
            [s.name, s.village, s.head, role, s.contact, s.phone, s.people_served, s.veterans,
             s.notes, month, ln.month, state_zh, state_en, cells[7]],
            s.pinyin,
        )  # fmt: skip
        return Row(
            s.id,
            cells,
            hay,
            {
                "pinyin": (s.pinyin.split(" ", 1)[0] if s.pinyin else s.name),
                "month": ln.month,
                "score": -1.0 if ln.total is None else ln.total,
                "state": STATE_ORDER[ln.state],
            },
        )

    def update_status(self) -> None:
        tr = self.tr
        t = self.table
        _, zh, en, _ = SORTS[self._sort]
        shown = (
            tr(f"显示 {t.row_count} / {t.total_count}", f"showing {t.row_count} of {t.total_count}")
            if t.row_count != t.total_count
            else tr(
                f"共 {t.total_count} 个服务站",
                f"{t.total_count} station{'' if t.total_count == 1 else 's'}",
            )
        )
        # One line of fixed height: no need to lay the screen out again on every key.
        self.query_one("#ledger-status", Static).update(
            f"{shown} · {tr('排序', 'sorted by')}: {tr(zh, en)}", layout=False
        )

    def selected(self) -> StationLine | None:
        key = self.table.cursor_key
        return None if key is None else self.lines.get(key)

    # -- filter --------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "ledger-filter":
            self.table.filter(event.value)
            self.update_status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ledger-filter":
            event.stop()
            self.set_focus(self.table)

    def action_filter(self) -> None:
        # Focus now, not on the next message cycle (Widget.focus): letters typed right after
        # the slash are already queued and must reach the filter, not the table.
        self.set_focus(self.filter_input)

    def action_unfilter(self) -> None:
        if self.filter_input.value:
            self.filter_input.value = ""
        self.set_focus(self.table)

    def on_key(self, event: Any) -> None:
        # Down from the filter goes to the table, as does Enter.
        if event.key == "down" and self.filter_input.has_focus:
            event.stop()
            self.set_focus(self.table)

    # -- sort ----------------------------------------------------------------------------------

    def action_sort(self) -> None:
        self._sort = (self._sort + 1) % len(SORTS)
        self.table.sort_by(SORTS[self._sort][3])
        self.update_status()

    # -- add, edit, archive --------------------------------------------------------------------

    def _names(self) -> set[str]:
        return {s.name for s in self.svc.store.stations.all(include_archived=True)}

    def action_add(self) -> None:
        self.app.push_screen(StationForm(None, self._names()), self._added)

    def _added(self, data: StationInput | None) -> None:
        if data is None:
            return
        try:
            sid = self.svc.store.stations.add(data)
        except StoreError as exc:
            self.notify(str(exc), severity="error", title=self.tr("未保存", "Not saved"))
            return
        self.reload()
        self.table.move_cursor_to(sid)
        self.notify(self.tr(f"已添加：{data.name}", f"Added: {data.name}"))

    def action_edit(self) -> None:
        ln = self.selected()
        if ln is None:
            return
        sid = ln.station.id
        self.app.push_screen(
            StationForm(ln.station, self._names()), lambda data: self._edited(sid, data)
        )

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _edited(self, sid: int, data: StationInput | None) -> None:
        if data is None:
            return
        try:
            self.svc.store.stations.update(sid, data)
        except StoreError as exc:
            self.notify(str(exc), severity="error", title=self.tr("未保存", "Not saved"))
            return
        self.reload()
        self.notify(self.tr(f"已保存：{data.name}", f"Saved: {data.name}"))

    def action_archive(self) -> None:
        ln = self.selected()
        if ln is None:
            return
        st = ln.station
        today = self.svc.today()
        self.app.push_screen(
            ConfirmModal(
                self.tr(f"归档“{st.name}”？", f"Archive “{st.name}”?"),
                self.tr(
                    f"归档后它从 {today:%Y-%m-%d} 起不再计入各期的服务站总数；已有的验收记录保留。",
                    f"From {today:%Y-%m-%d} it no longer counts among the stations of any period; "
                    "its assessments are kept.",
                ),
                yes=self.tr("归档 (Y)", "Archive (Y)"),
            ),
            lambda ok: self._archive(st.id, st.name, ok),
        )

    def _archive(self, sid: int, name: str, ok: bool | None) -> None:
        if not ok:
            return
        try:
            self.svc.store.stations.archive(sid, self.svc.today())
        except StoreError as exc:
            self.notify(str(exc), severity="error", title=self.tr("未归档", "Not archived"))
            return
        self.reload()
        self.notify(self.tr(f"已归档：{name}", f"Archived: {name}"))

    # -- import and scoring --------------------------------------------------------------------

    def action_import(self) -> None:
        from fieldtui.screens.import_dialog import ImportDialog

        self.app.push_screen(ImportDialog(), self._imported)

    def _imported(self, written: bool | None) -> None:
        if written:
            self.svc.store.touch()
            self.reload()

    def action_score(self) -> None:
        ln = self.selected()
        if ln is None:
            return
        open_scoring = getattr(self.app, "open_scoring", None)
        if open_scoring is not None:
            self.app.run_worker(open_scoring(ln.station.id), group="open-scoring")

"""Monthly plan (分月推进计划表): the month each station is to reach the standard.

A grid of stations by month (the campaign's plan months, March to December), with each
station's planned month (◆) and the month its counting visit passed (✓) or failed (✗); keys move
the planned month. Below it, per period, the cumulative planned share against the target, marked
where the plan falls short.
"""

from __future__ import annotations

import datetime as dt

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from fieldtui.domain.progress import counting_visits, progress
from fieldtui.i18n import month_label, month_long, percent
from fieldtui.screens.base import FieldScreen
from fieldtui.screens.context import services
from fieldtui.screens.dashboard import short_name
from fieldtui.screens.keys import scoped
from fieldtui.store.db import StoreError
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar
from fieldtui.widgets.table import Column, FastTable, Row

PLANNED = "◆"
PASSED = "✓"
FAILED = "✗"
UNPLAN = "-"  # the month picker's "no month"


@scoped("plan")
class PlanScreen(FieldScreen):
    SCOPE = "plan"
    CSS_PATH = "plan.tcss"
    DESCRIPTION = (
        "推进计划：每个服务站计划在哪个月达标（◆），以及验收达标（✓）或未达标（✗）的月份。"
        "←→把计划提前或推后一个月（未计划的服务站计划到本月），Enter选择月份，Del取消计划。"
        "下方按季度显示累计计划占比与目标，计划不足时标出。",
        "Plan: the month each station is to reach the standard (◆), and the month its "
        "assessment passed (✓) or failed (✗). Left/right move the plan a month earlier or later "
        "(an unplanned station is planned for this month), Enter picks a month, Del unplans. "
        "Below, per period, the cumulative planned share against the target, marked where "
        "the plan falls short.",
    )

    def __init__(self) -> None:
        super().__init__()
        self._drawn_revision = -1
        self.months: list[str] = []
        self.plan: dict[int, str] = {}
        self.visit_marks: dict[int, tuple[str, bool]] = {}  # station -> (month, passed)
        self.names: dict[int, str] = {}
        self.short_periods: list[str] = []  # labels of the periods the plan falls short of

    def compose(self) -> ComposeResult:
        svc = self.svc
        self.months = svc.campaign.plan_months()
        yield NavBar("plan")
        yield FastTable(
            [
                Column("name", self.tr("服务站", "Station"), max_width=14),
                *(
                    Column(m, month_label(m, svc.lang), min_width=4, justify="center")
                    for m in self.months
                ),
            ],
            empty_text=self.tr("台账中还没有服务站", "No stations in the ledger yet"),
            pass_horizontal_keys=True,
            id="plan-grid",
        )
        yield Static(id="plan-legend", classes="status-line")
        yield Static(id="plan-periods")
        yield KeyFooter()

    @property
    def grid(self) -> FastTable:
        return self.query_one("#plan-grid", FastTable)

    def on_mount(self) -> None:
        self.grid.sort_by(lambda r: (r.sort_values["month"] or "9999", r.key))
        self.reload()
        self.set_focus(self.grid)

    def on_screen_resume(self) -> None:
        if self.svc.store.revision() != self._drawn_revision:
            self.reload()

    # -- data ----------------------------------------------------------------------------------

    def reload(self) -> None:
        svc = self.svc
        store, c = svc.store, svc.campaign
        self._drawn_revision = store.revision()
        stations = store.stations.all()
        self.names = {s.id: s.name for s in stations}
        self.plan = store.plan.months(c.id)
        counting = counting_visits(store.assessments.visit_refs(c.id), svc.today())
        self.visit_marks = {sid: (f"{v.date:%Y-%m}", v.passed) for sid, v in counting.items()}
        pinyin = {s.id: s.pinyin for s in stations}
        self.grid.set_rows(self.row(s.id, pinyin.get(s.id, "")) for s in stations)
        self.update_periods()
        self.query_one("#plan-legend", Static).update(
            self.tr(
                f"{PLANNED} 计划达标月份   {PASSED} 验收达标   {FAILED} 验收未达标",
                f"{PLANNED} planned month   {PASSED} passed   {FAILED} failed",
            )
        )

    def row(self, sid: int, pinyin: str = "") -> Row:
        planned = self.plan.get(sid)
        visit = self.visit_marks.get(sid)
        cells: list[str | Text] = [short_name(self.names[sid])]
        for m in self.months:
            cell = Text()
            if planned == m:
                cell.append(PLANNED, style="bold blue")
            if visit is not None and visit[0] == m:
                cell.append(
                    PASSED if visit[1] else FAILED, style="bold green" if visit[1] else "bold red"
                )
            cells.append(cell)
        old = self.grid.row(sid)
        return Row(
            sid,
            cells,
            old.hay if old is not None else "",
            {"month": planned} if old is None else old.sort_values | {"month": planned},
        )

    def update_periods(self) -> None:
        svc = self.svc
        c, store, lang = svc.campaign, svc.store, svc.lang
        prog = progress(c, store.stations.refs(), store.assessments.visit_refs(c.id), self.plan)
        self.short_periods = [p.label for p in prog if p.plan_short]
        tr = self.tr
        t = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, expand=False)
        t.add_column(tr("期间", "Period"), no_wrap=True)
        t.add_column(tr("截至", "To"), no_wrap=True)
        t.add_column(tr("目标", "Target"), justify="right")
        t.add_column(tr("需达标", "Needed"), justify="right")
        t.add_column(tr("累计计划", "Planned"), justify="right")
        t.add_column(tr("计划占比", "Share"), justify="right")
        t.add_column("", no_wrap=True)
        for period, p in zip(c.periods, prog, strict=True):
            style = "bold yellow" if p.plan_short else ""
            flag = (
                Text(tr("计划不足", "plan short"), style="bold yellow")
                if p.plan_short
                else Text(tr("已够", "enough"), style="green")
                if p.stations
                else Text("")
            )
            t.add_row(
                Text(period.display(lang), style=style),
                f"{p.last:%m-%d}",
                percent(p.target),
                str(p.needed),
                Text(str(p.planned), style=style),
                Text(percent(p.planned_share), style=style),
                flag,
            )
        self.query_one("#plan-periods", Static).update(t)

    def _refresh_station(self, sid: int) -> None:
        self.grid.update_row(self.row(sid))
        self.update_periods()
        self._drawn_revision = self.svc.store.revision()

    # -- actions -------------------------------------------------------------------------------

    def _selected(self) -> int | None:
        return self.grid.cursor_key

    def _set(self, sid: int, month: str | None) -> None:
        svc = self.svc
        try:
            svc.store.plan.set(svc.campaign, sid, month)
        except StoreError as exc:
            self.notify(str(exc), severity="error", title=self.tr("未保存", "Not saved"))
            return
        if month is None:
            self.plan.pop(sid, None)
        else:
            self.plan[sid] = month
        self._refresh_station(sid)

    def _this_month(self) -> str:
        today: dt.date = self.svc.today()
        month = f"{today:%Y-%m}"
        return min(max(month, self.months[0]), self.months[-1])

    def _move(self, step: int) -> None:
        sid = self._selected()
        if sid is None:
            return
        current = self.plan.get(sid)
        if current is None:
            self._set(sid, self._this_month())
            return
        i = self.months.index(current) + step if current in self.months else 0
        if 0 <= i < len(self.months):
            self._set(sid, self.months[i])
        else:
            self.app.bell()

    def action_earlier(self) -> None:
        self._move(-1)

    def action_later(self) -> None:
        self._move(+1)

    def action_clear(self) -> None:
        sid = self._selected()
        if sid is not None and sid in self.plan:
            self._set(sid, None)

    def action_set(self) -> None:
        sid = self._selected()
        if sid is None:
            return
        self.app.push_screen(
            MonthPicker(self.names[sid], self.months, self.plan.get(sid)),
            lambda month: self._picked(sid, month),
        )

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        self.action_set()

    def _picked(self, sid: int, month: str | None) -> None:
        if month is None:
            return
        self._set(sid, None if month == UNPLAN else month)


@scoped("form")
class MonthPicker(ModalScreen[str | None]):
    """Pick a planned month (or "no month"); dismisses with the month, UNPLAN, or None."""

    SCOPE = "form"
    CSS_PATH = "plan.tcss"
    DESCRIPTION = (
        "选择计划达标月份：↑ ↓ 选择，Enter 确定，Esc 取消。",
        "Pick the planned month: up/down to choose, Enter to confirm, Esc to cancel.",
    )

    def __init__(self, station: str, months: list[str], current: str | None) -> None:
        super().__init__()
        self.station = station
        self.months = months
        self.current = current

    def compose(self) -> ComposeResult:
        svc = services(self)
        lang = svc.lang
        with Vertical(id="picker-box"):
            yield Static(
                svc.tr(f"{self.station}：计划达标月份", f"{self.station}: planned month"),
                id="picker-title",
                markup=False,
            )
            yield OptionList(
                *(Option(month_long(m, lang), id=m) for m in self.months),
                Option(svc.tr("不计划", "No month"), id=UNPLAN),
                id="picker-months",
                markup=False,
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.months:
            options.highlighted = self.months.index(self.current)
        else:
            options.highlighted = 0
        self.set_focus(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_save(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The county overview: one period, every township, the county's pooled rate against the target.

- The head line names the period, its deadline and target; the next line the county's pooled rate
  (sum of passed over sum of stations), whether the target is met, how many townships reported,
  were late, or sent nothing.
- The table lists the townships from their newest batch: behind the target first (lowest rate
  first), marked ``✗`` and drawn bold on the error colour, then those that met it (``✓``); the
  registered townships that sent nothing come last, marked ``✗`` and ``未报送``. The marks carry
  the meaning, so it reads the same in 16 colours or none.
- A column says whether the stamped scan (盖章件) of the period was received with any batch.
- Below, the batches of the township under the cursor: pushed or e-mailed, submitted on time or
  late, which one counts (newest), the scans received with it, and the county's verdict on each.

Keys: ``[`` / ``]`` previous / next period, ``w`` the work list of this period, ``r`` reload.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from fieldtui.county.views import PeriodView, TownshipRow, default_period, period_view
from fieldtui.domain.review import verdict_label
from fieldtui.i18n import percent
from fieldtui.screens.county.base import PeriodScreen
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar

MARK_BEHIND = "✗"
MARK_MET = "✓"
# Bold and an ANSI colour: standard red is one of the 16 colours, and bold survives without any.
BEHIND_STYLE = "bold red"


def short_time(text: str) -> str:
    """``2023-06-29T10:02:11.000+08:00`` -> ``06-29 10:02``."""
    return text[5:16].replace("T", " ") if text else ""


@scoped("county_overview")
class CountyOverviewScreen(PeriodScreen):
    """Every township's batches and rates for one period."""

    CSS_PATH = "overview.tcss"
    AUTO_FOCUS = "#townships"
    SCOPE = "county_overview"
    DESCRIPTION = (
        "县级总览：一个季度里各镇乡（街道）的最新批次、报送是否逾期、达标率与目标，以及全县合计达标率"
        "（各镇乡服务站合计）。未达目标的镇乡排在前面、标 ✗ 并加粗，登记了但未报送的镇乡排在最后。"
        "下方是光标所在镇乡本季度的批次：推送或邮件、是否按时、哪一个计入（最新）、收到的盖章件、县级审核意见。",
        "County overview: one period's townships from their newest batch, whether they were late, "
        "their rate against the target, and the county's pooled rate (all stations together). "
        "Townships behind the target come first, marked ✗ in bold; registered townships that "
        "sent nothing come last. Below: the batches of the township under the cursor (pushed or "
        "e-mailed, on time or late, which one counts, the stamped scans received, the county's "
        "verdict).",
    )

    def __init__(self) -> None:
        super().__init__()
        self.view: PeriodView | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("overview")
        yield Static(id="period-head")
        yield Static(id="county-line")
        yield DataTable(id="townships", cursor_type="row", zebra_stripes=False)
        yield Static(id="batches-head")
        yield DataTable(id="batches", cursor_type="row", show_cursor=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        app = self.app_
        self.label = default_period(app.campaign, app.county, app.now())
        t = self.query_one("#townships", DataTable)
        t.add_columns(
            "",
            self.tr("镇乡", "Township"),
            self.tr("服务站", "Stations"),
            self.tr("达标", "Passed"),
            self.tr("达标率", "Rate"),
            self.tr("需达标", "Needed"),
            self.tr("报送", "Submitted"),
            self.tr("盖章件", "Scan"),
            self.tr("审核", "Review"),
        )
        b = self.query_one("#batches", DataTable)
        b.add_columns(
            self.tr("批次", "Batch"),
            self.tr("方式", "Via"),
            self.tr("报送时间", "Submitted"),
            self.tr("按时", "On time"),
            self.tr("达标", "Passed"),
            self.tr("计入", "Counts"),
            self.tr("盖章件", "Scan"),
            self.tr("审核", "Review"),
        )
        self.reload()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.reload()

    # -- drawing -------------------------------------------------------------------------------

    def reload(self) -> None:
        app = self.app_
        self.view = period_view(app.county, app.campaign, self.label, app.now())
        v = self.view
        period = app.campaign.period(v.label)
        due = v.due.strftime("%m-%d %H:%M")
        self.query_one("#period-head", Static).update(
            Text.assemble(
                (f" {v.label} ", "bold reverse"),
                f" {period.display(app.lang) if period else ''}  ",
                self.tr(f"截止 {due}  目标 {v.target:.0%}", f"due {due}  target {v.target:.0%}"),
            )
        )
        c = v.county
        met = bool(c["met"])
        state = (
            (f"{MARK_MET} " + self.tr("达到目标", "met"), "bold")
            if met
            else (f"{MARK_BEHIND} " + self.tr("未达目标", "behind"), "bold reverse")
        )
        self.query_one("#county-line", Static).update(
            Text.assemble(
                self.tr(" 全县达标率 ", " County "),
                (percent(c["rate"]), "bold"),
                self.tr(
                    f"（{c['passed']}/{c['stations']}，需 {c['needed']}）  ",
                    f" ({c['passed']}/{c['stations']}, needs {c['needed']}) ",
                ),
                state,
                self.tr(
                    f"  报送 {c['townships']}  逾期 {c['late']}  未报送 {len(v.missing)}",
                    f"  sent {c['townships']} late {c['late']} missing {len(v.missing)}",
                ),
            )
        )
        self.set_class(not met, "-behind")
        table = self.query_one("#townships", DataTable)
        keep = table.cursor_row
        table.clear()
        for row in v.townships:
            table.add_row(*self._cells(row), key=row.unit)
        if v.townships:
            table.move_cursor(row=min(keep, len(v.townships) - 1))
        self._show_batches()

    def _cells(self, r: TownshipRow) -> list[Any]:
        style = BEHIND_STYLE if r.behind else ""
        mark = Text(MARK_BEHIND if r.behind else MARK_MET, style="bold reverse" if r.behind else "")
        if not r.reported:
            return [
                mark,
                Text(r.unit, style=style),
                Text("—", justify="right"),
                Text("—", justify="right"),
                Text("—", justify="right"),
                Text("—", justify="right"),
                Text(self.tr("未报送", "missing"), style=style),
                "",
                "",
            ]
        late = (
            self.tr(f"逾期{r.late_days}天", f"late {r.late_days}d")
            if r.late
            else self.tr("按时", "on time")
        )
        return [
            mark,
            Text(r.unit, style=style),
            Text(str(r.stations), justify="right"),
            Text(str(r.passed), justify="right"),
            Text(percent(r.rate), style=style, justify="right"),
            Text(str(r.needed), justify="right"),
            Text(f"{short_time(r.submitted_at)} {late}", style="bold" if r.late else ""),
            self.tr("已收", "yes") if r.scan else self.tr("未收", "none"),
            verdict_label(r.status, self.app_.lang),
        ]

    def _show_batches(self) -> None:
        v = self.view
        table = self.query_one("#batches", DataTable)
        table.clear()
        head = self.query_one("#batches-head", Static)
        if v is None or not v.townships:
            head.update(self.tr(" 还没有镇乡登记或报送", " No township registered or reported yet"))
            return
        row = v.townships[min(self.query_one("#townships", DataTable).cursor_row,
                              len(v.townships) - 1)]  # fmt: skip
        rows = v.batches.get(row.unit, [])
        head.update(
            Text.assemble(
                (f" {row.unit} ", "bold"),
                self.tr(f"{v.label} 的批次（{len(rows)}）", f"batches of {v.label} ({len(rows)})"),
            )
        )
        for b in rows:
            table.add_row(
                b.batch_id[:8],
                self.tr("推送", "push") if b.source == "push" else self.tr("邮件", "e-mail"),
                short_time(b.submitted_at),
                Text(self.tr("逾期", "late"), style="bold") if b.late else self.tr("按时", "yes"),
                f"{b.passed}/{b.stations}",
                self.tr("✓ 最新", "✓ newest") if b.newest else self.tr("已被取代", "superseded"),
                str(b.scans) if b.scans else "—",
                verdict_label(b.status, self.app_.lang),
            )

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "townships":
            self._show_batches()

    # -- keys ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.reload()

    async def action_worklist(self) -> None:
        await self.app_.switch_mode("worklist")
        screen = self.app_.get_screen_stack("worklist")[0]
        if hasattr(screen, "show_period"):
            screen.show_period(self.label)

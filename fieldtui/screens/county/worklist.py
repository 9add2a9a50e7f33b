"""The spot-check work list: a period's newest draw, what is re-scored, and the verdicts.

- The head names the draw (number, seed, who drew it, when) and how many stations are re-scored.
- The table lists each sampled station: township, station, the township's score, the county's
  re-score and, marked ``⚠``, a re-score that changes the pass/fail verdict; and the review status
  of the station's batch.

Keys: ``d`` draw a sample (share or count per township, optional seed), Enter re-score the station
in the scoring screen (the same screen and engine the townships use), ``c`` compare the two scores
item by item, ``v`` give the verdict on the station's batch, ``[`` / ``]`` previous / next period.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from fieldtui.county import reviews
from fieldtui.county.views import default_period, worklist_json
from fieldtui.domain.errors import Refusal
from fieldtui.domain.review import verdict_label
from fieldtui.screens.county.base import PeriodScreen
from fieldtui.screens.county.forms import DrawModal, DrawRequest, VerdictModal, VerdictRequest
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar

CHANGED = "⚠"


def g(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


@scoped("county_worklist")
class WorklistScreen(PeriodScreen):
    """The sampled stations of a period: re-score, compare, decide."""

    CSS_PATH = "worklist.tcss"
    AUTO_FOCUS = "#entries"
    SCOPE = "county_worklist"
    DESCRIPTION = (
        "抽查复核：本季度最新一次抽查抽到的服务站（抽取时记录随机种子，可由种子重新推导核对）。"
        "Enter 用与镇乡相同的评分界面复核评分，c 逐项对照两次评分，v 给出批次审核意见"
        "（通过、退回并说明理由和服务站、修正后通过）。⚠ 表示县复核改变了达标结论。",
        "Spot checks: the stations of this period's newest draw (its seed is stored, so the draw "
        "can be derived again). Enter re-scores a station with the townships' own scoring screen, "
        "c compares both scores item by item, v gives the batch's verdict (accepted, returned "
        "with the reason and stations, or accepted with corrections). ⚠ marks a re-score that "
        "changes the pass/fail verdict.",
    )

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {"sample": None, "entries": []}
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        yield NavBar("worklist")
        yield Static(id="draw-head")
        yield DataTable(id="entries", cursor_type="row")
        yield Static(id="worklist-status", classes="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not self.label:
            app = self.app_
            self.label = default_period(app.campaign, app.county, app.now())
        self.query_one("#entries", DataTable).add_columns(
            self.tr("镇乡", "Township"),
            self.tr("服务站", "Station"),
            self.tr("镇乡得分", "Score"),
            self.tr("县复核", "County"),
            self.tr("批次审核", "Batch review"),
        )
        self.reload()

    def on_screen_resume(self) -> None:
        # Back from a form or the scoring screen: new re-scores are collected; a message the
        # form's callback just put in the status line stays.
        self.reload(keep_status=True)

    def show_period(self, label: str) -> None:
        self.label = label
        if self.is_mounted:
            self.reload()

    # -- data ----------------------------------------------------------------------------------

    def reload(self, *, keep_status: bool = False) -> None:
        app = self.app_
        self.problems = app.collect()
        s = reviews.latest_sample(app.county, app.campaign.id, self.label)
        self.data = worklist_json(app.county, app.campaign, s)
        self._draw(keep_status=keep_status)

    def _draw(self, *, keep_status: bool = False) -> None:
        d = self.data
        head = self.query_one("#draw-head", Static)
        h = d["sample"]
        if h is None:
            head.update(
                Text.assemble(
                    (f" {self.label} ", "bold reverse"),
                    self.tr(
                        "  本季度还没有抽查：按 d 抽取。", "  No draw for this period: press d."
                    ),
                )
            )
        else:
            head.update(
                Text.assemble(
                    (f" {self.label} ", "bold reverse"),
                    self.tr(
                        f"  抽查 #{h['id']}  种子 {h['seed']}  {h['reviewer']} {h['drawn_at'][:10]}"
                        f"  已复核 {d['done']}/{d['total']}",
                        f"  draw #{h['id']}  seed {h['seed']}  {h['reviewer']} {h['drawn_at'][:10]}"
                        f"  re-scored {d['done']}/{d['total']}",
                    ),
                )
            )
        table = self.query_one("#entries", DataTable)
        keep = table.cursor_row
        table.clear()
        for i, e in enumerate(d["entries"]):
            table.add_row(*self._cells(e), key=str(i))
        if d["entries"]:
            table.move_cursor(row=min(keep, len(d["entries"]) - 1))
        if self.problems:
            self._status("; ".join(self.problems), "error")
        elif not keep_status or not self._status_set:
            self._status(self.tr("Enter 复核评分 · c 对照 · v 审核意见",
                                 "Enter re-score · c compare · v verdict"))  # fmt: skip

    def _cells(self, e: dict[str, Any]) -> list[Any]:
        r, c = e["rescore"], e["comparison"]
        if r is None:
            county: Any = Text(self.tr("待复核", "to do"), style="dim")
        else:
            verdict = self.tr("达标", "pass") if r["passed"] else self.tr("未达标", "fail")
            text = f"{g(r['total'])} {verdict}"
            if c is not None and c["verdict_changed"]:
                county = Text(f"{CHANGED} {text}", style="bold reverse")
            else:
                county = Text(text)
        return [
            e["unit"],
            e["name"],
            Text(g(e["township_total"]), justify="right"),
            county,
            verdict_label(e["batch_status"], self.app_.lang),
        ]

    _status_set = False

    def _status(self, text: str, kind: str = "") -> None:
        self._status_set = True
        bar = self.query_one("#worklist-status", Static)
        bar.update(text)
        bar.set_class(kind == "error", "error")

    def current(self) -> dict[str, Any] | None:
        entries = self.data["entries"]
        if not entries:
            return None
        row = self.query_one("#entries", DataTable).cursor_row
        e: dict[str, Any] = entries[min(max(row, 0), len(entries) - 1)]
        return e

    # -- keys ----------------------------------------------------------------------------------

    def action_draw(self) -> None:
        self.app.push_screen(DrawModal(self.label, self.app_.reviewer), self._drawn)

    def _drawn(self, req: DrawRequest | None) -> None:
        if req is None:
            return
        from fieldtui.domain.sampling import Parameters, Rule, new_seed

        app = self.app_
        try:
            params = Parameters(Rule(req.mode, req.value))
            s = reviews.draw_sample(app.county, app.campaign, self.label, params,
                                    req.seed or new_seed(), req.reviewer, app.now_iso())  # fmt: skip
        except Refusal as exc:
            self._status(str(exc), "error")
            return
        self.reload()
        self._status(self.tr(f"已抽取 #{s.id}（种子 {s.seed}），共 {self.data['total']} 个服务站",
                             f"Drew #{s.id} (seed {s.seed}): {self.data['total']} stations"))  # fmt: skip

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table takes Enter before the screen's binding) re-scores it."""
        event.stop()
        self.action_rescore()

    def action_rescore(self) -> None:
        e = self.current()
        if e is None:
            self._status(self.tr("没有可复核的服务站：先按 d 抽取", "Nothing to re-score: press d"))
            return
        self._open(e)

    @work(exclusive=True, group="open-rescore")
    async def _open(self, e: dict[str, Any]) -> None:
        entry = reviews.find_entry(
            self.app_.county, self.app_.campaign.id, e["unit"], str(e["station_id"]), self.label
        )
        why = await self.app_.open_rescore(entry)
        if why:
            self._status(why, "error")

    def action_compare(self) -> None:
        from fieldtui.screens.county.compare import CompareScreen

        e = self.current()
        if e is None or e["rescore"] is None:
            self._status(self.tr("该站还没有县复核", "This station is not re-scored yet"), "error")
            return
        r = reviews.rescore(self.app_.county, e["rescore"]["id"])
        if r is None:
            return
        comp = reviews.comparison(self.app_.county, self.app_.campaign, r)
        if comp is None:
            self._status(self.tr("镇乡批次中没有该站的计分访查", "The batch has no visit"), "error")
            return
        self.app.push_screen(CompareScreen(f"{e['unit']} {e['name']}", comp, r.notes))

    def action_verdict(self) -> None:
        e = self.current()
        if e is None:
            return
        changed = [
            (x["station_id"], x["name"])
            for x in self.data["entries"]
            if x["batch_id"] == e["batch_id"] and x["comparison"]
            and x["comparison"]["verdict_changed"]
        ]  # fmt: skip
        self.app.push_screen(
            VerdictModal(e["unit"], e["batch_id"], changed, self.app_.reviewer),
            lambda req: self._decided(e["batch_id"], req),
        )

    def _decided(self, batch_id: str, req: VerdictRequest | None) -> None:
        if req is None:
            return
        from fieldtui.domain.review import check_verdict

        app = self.app_
        batch = app.county.find(batch_id)
        if batch is None:
            return
        try:
            names = reviews.batch_station_names(app.county, batch_id)
            v = check_verdict(req.verdict, req.reason, [str(s) for s in req.stations], names,
                              req.reviewer)  # fmt: skip
            got = reviews.add_verdict(app.county, batch, v, app.now_iso())
        except Refusal as exc:
            self._status(str(exc), "error")
            return
        self.reload()
        self._status(self.tr(f"{batch.unit} 批次 {batch_id[:8]}：{verdict_label(got['verdict'], 'zh')}",
                             f"{batch.unit} batch {batch_id[:8]}: {verdict_label(got['verdict'], 'en')}"))  # fmt: skip

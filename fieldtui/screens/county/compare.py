"""The township's score and the county's re-score side by side, item by item.

The head line gives both totals (base + bonus, veto) and whether the pass/fail verdict changes
(``⚠``, drawn reversed). The table lists the items that differ (``a`` shows all 57): number,
category, maximum, the township's score, the county's, the difference and the county's note.
Both sides are scored by the one engine (:func:`fieldtui.domain.review.compare`).

Keys: ``a`` all items / differences only, Esc or ``q`` back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from fieldtui.domain.review import Comparison
from fieldtui.screens.county.base import CountyNode
from fieldtui.screens.keys import scoped
from fieldtui.widgets.footer import KeyFooter


def g(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


@scoped("county_compare", extra=[Binding("escape", "close", show=False)])
class CompareScreen(CountyNode, Screen[None]):
    """Two scores of one station, item by item."""

    CSS_PATH = "compare.tcss"
    AUTO_FOCUS = "#items"
    SCOPE = "county_compare"
    DESCRIPTION = (
        "评分对照：镇乡评分与县复核逐项并列，两边都由同一评分引擎计算；显示总分、差值和达标结论是否改变。",
        "Compare: the township's score and the county's re-score side by side, item by item, "
        "both computed by the one scoring engine; the totals, the difference and whether the "
        "pass/fail verdict changes.",
    )

    def __init__(self, title: str, comparison: Comparison, notes: Mapping[int, str]) -> None:
        super().__init__()
        self.heading = title
        self.comparison = comparison
        self.notes = dict(notes)
        self.show_all = False

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        yield Static(id="compare-totals")
        yield DataTable(id="items", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        c = self.comparison
        self.query_one("#compare-title", Static).update(
            Text.assemble(
                (f" {self.heading} ", "bold reverse"),
                self.tr("  镇乡评分 ↔ 县复核", "  township ↔ county"),
            )
        )

        def side(name: str, s: Any) -> Text:
            verdict = self.tr("达标", "pass") if s.passed else self.tr("未达标", "fail")
            veto = self.tr(f" 否决{list(s.veto)}", f" veto {list(s.veto)}") if s.veto else ""
            return Text.assemble(
                f"{name} ", (f"{s.total:g}", "bold"), f" ({s.base:g}+{s.bonus:g}){veto} {verdict}"
            )

        change = (
            Text(self.tr("  ⚠ 达标结论改变", "  ⚠ verdict changes"), style="bold reverse")
            if c.verdict_changed
            else Text(self.tr("  结论不变", "  same verdict"))
        )
        self.query_one("#compare-totals", Static).update(
            Text.assemble(
                " ",
                side(self.tr("镇乡", "Township"), c.township),
                "   ",
                side(self.tr("县", "County"), c.county),
                self.tr(f"   差 {c.delta:+g}", f"   delta {c.delta:+g}"),
                change,
            )
        )
        self.query_one("#items", DataTable).add_columns(
            self.tr("项", "Item"),
            self.tr("类", "Cat."),
            self.tr("分值", "Max"),
            self.tr("镇乡", "Township"),
            self.tr("县", "County"),
            self.tr("差", "Δ"),
            self.tr("县备注", "County note"),
        )
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#items", DataTable)
        table.clear()
        campaign = self.app_.campaign
        rows = self.comparison.items if self.show_all else self.comparison.differences
        for r in rows:
            style = "bold" if r.differs else "dim"
            delta = r.delta
            table.add_row(
                Text(str(r.n), style=style, justify="right"),
                # 一, 二 … in Chinese; the category's number in English.
                self.tr(campaign.category(r.category).numeral, str(r.category)),
                Text(f"{r.max:g}", justify="right"),
                Text(g(r.township), justify="right"),
                Text(g(r.county), style=style, justify="right"),
                Text("" if not delta else f"{delta:+g}", style=style, justify="right"),
                self.notes.get(r.n, ""),
            )
        if not rows:
            table.add_row("", "", "", "", "", "", self.tr("各项评分一致", "every item agrees"))

    def action_all(self) -> None:
        self.show_all = not self.show_all
        self._fill()

    def action_close(self) -> None:
        self.dismiss()

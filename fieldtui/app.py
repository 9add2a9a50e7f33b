"""The Textual app. (The full set of screens is built in fieldtui/screens/.)"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from fieldtui.campaigns import active
from fieldtui.domain.progress import progress
from fieldtui.settings import load_settings
from fieldtui.store.store import open_store


class FieldApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "退出")]

    def __init__(self, home: Path, lang: str = "zh") -> None:
        super().__init__()
        self.home = home
        self.lang = lang
        self.settings = load_settings(home)
        self.campaign = active(home, str(self.settings.get("campaign")))
        self.store = open_store(home)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.campaign.title_for(self.lang), id="title")
        yield DataTable(id="progress")
        yield Footer()

    def on_mount(self) -> None:
        en = self.lang == "en"
        table = self.query_one(DataTable)
        table.add_columns(
            *(("Period", "Stations", "Passed", "Rate", "Target", "Planned") if en
              else ("期间", "服务站", "达标", "达标率", "目标", "计划"))
        )  # fmt: skip
        c = self.campaign
        for p in progress(c, self.store.stations.refs(), self.store.assessments.visit_refs(c.id),
                          self.store.plan.months(c.id)):  # fmt: skip
            rate = "—" if p.rate is None else f"{p.rate:.0%}"
            planned = "—" if p.planned_share is None else f"{p.planned_share:.0%}"
            table.add_row(p.label, str(p.stations), str(p.passed), rate, f"{p.target:.0%}", planned)

    def on_unmount(self) -> None:
        self.store.close()


def run(home: Path, lang: str) -> int:
    FieldApp(home, lang).run()
    return 0

"""Dashboard (总览): where the township stands against the campaign's targets, at a glance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from fieldtui.domain.progress import (
    StationRef,
    VisitRef,
    counting_visits,
    days_left,
    next_deadline,
    progress,
    stations_behind_plan,
)
from fieldtui.domain.rubric import CHINA_TZ
from fieldtui.i18n import month_long
from fieldtui.screens.base import FieldScreen
from fieldtui.screens.keys import scoped
from fieldtui.widgets.bars import BarRow, PeriodBars
from fieldtui.widgets.footer import KeyFooter
from fieldtui.widgets.navbar import NavBar

BEHIND_SHOWN = 8  # names listed before "and N more"


@dataclass(frozen=True, slots=True)
class Counts:
    """The dashboard's counts of stations, visits and batches."""

    stations: int
    drafts: int
    completed: int
    passed: int
    failed: int
    vetoed: int
    unsent: int = 0  # the newest batch of a period, neither acknowledged by the county nor e-mailed
    queued: int = 0  # of those, waiting in the outbox to be pushed


def short_name(name: str) -> str:
    """A station's name without the common suffix, for narrow lists."""
    for suffix in ("退役军人服务站",):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@scoped("dashboard")
class DashboardScreen(FieldScreen):
    SCOPE = "dashboard"
    CSS_PATH = "dashboard.tcss"
    DESCRIPTION = (
        "总览：各季度目标、计划占比与实际达标率，下一个报送截止日，服务站与验收情况，"
        "以及未按计划月份达标的服务站。",
        "Dashboard: each period's target, planned share and actual compliance rate, the next "
        "submission deadline, counts of stations and assessments, and the stations behind "
        "their planned month.",
    )

    def __init__(self) -> None:
        super().__init__()
        self._drawn_revision = -1
        self.behind_ids: list[int] = []

    def compose(self) -> ComposeResult:
        tr = self.tr
        yield NavBar("dashboard")
        with VerticalScroll(id="dash-body"):
            yield Static(id="dash-title", markup=False)
            yield Static(id="dash-deadline")
            yield PeriodBars(
                (
                    tr("期间", "Period"),
                    tr("目标", "Target"),
                    tr("计划占比", "Planned"),
                    tr("实际达标率", "Actual rate"),
                    tr("差距", "Gap"),
                ),
                id="dash-bars",
            )
            yield Static(id="dash-counts")
            yield Static(id="dash-behind")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.svc.store.revision() != self._drawn_revision:
            self.reload()

    def reload(self) -> None:
        svc = self.svc
        c, store, lang, today = svc.campaign, svc.store, svc.lang, svc.today()
        tr = self.tr
        self._drawn_revision = store.revision()
        refs = store.stations.refs()
        visits = store.assessments.visit_refs(c.id)
        plan = store.plan.months(c.id)
        unit = str(svc.settings.get("unit"))
        title = c.title_for(lang)
        self.query_one("#dash-title", Static).update(f"{unit}  {title}" if unit else title)

        # The next deadline: judged from the start of the officer's today (+08:00).
        now = dt.datetime.combine(today, dt.time(0, 0), CHINA_TZ)
        nxt = next_deadline(c, now)
        if nxt is None:
            deadline = tr(
                "本年度各期材料均已到报送截止日。",
                "Every period of this campaign is past its deadline.",
            )
        else:
            left = days_left(nxt, today)
            due = nxt.due.astimezone(CHINA_TZ)
            when = (
                tr("今天截止", "due today")
                if left == 0
                else tr(f"还有 {left} 天", f"{left} days left")
            )
            deadline = tr(
                f"下一个报送截止：[b]{nxt.display('zh')}[/b]  {due:%Y-%m-%d %H:%M}  [b]{when}[/b]",
                f"Next submission: [b]{nxt.display('en')}[/b] due {due:%Y-%m-%d %H:%M}  [b]{when}[/b]",
            )
        self.query_one("#dash-deadline", Static).update(deadline)

        prog = progress(c, refs, visits, plan)
        self.query_one("#dash-bars", PeriodBars).set_rows(
            [
                BarRow(
                    label=period.display(lang),
                    target=p.target,
                    planned=p.planned_share,
                    rate=p.rate,
                    met=p.met,
                    plan_short=p.plan_short,
                    detail=f"{p.passed}/{p.stations}",
                    future=period.first > today,
                )
                for period, p in zip(c.periods, prog, strict=True)
            ]
        )

        counts = self.counts(today, refs, visits)
        queued = (
            tr(f"（{counts.queued} 个待发送）", f" ({counts.queued} queued)")
            if counts.queued
            else ""
        )
        self.query_one("#dash-counts", Static).update(
            tr(
                f"服务站 [b]{counts.stations}[/b]   草稿 [b]{counts.drafts}[/b]   "
                f"已完成验收 [b]{counts.completed}[/b]   达标 [b]{counts.passed}[/b]   "
                f"未达标 [b]{counts.failed}[/b]   其中一票否决 [b]{counts.vetoed}[/b]\n"
                f"未报送批次 [b]{counts.unsent}[/b]{queued}",
                f"Stations [b]{counts.stations}[/b]   Drafts [b]{counts.drafts}[/b]   "
                f"Completed [b]{counts.completed}[/b]   Passed [b]{counts.passed}[/b]   "
                f"Failed [b]{counts.failed}[/b]   of them vetoed [b]{counts.vetoed}[/b]\n"
                f"Batches not yet sent [b]{counts.unsent}[/b]{queued}",
            )
        )

        self.behind_ids = stations_behind_plan(refs, visits, plan, today)
        self.query_one("#dash-behind", Static).update(self.behind_text(self.behind_ids, plan))

    def counts(
        self,
        today: dt.date,
        all_refs: list[StationRef] | None = None,
        all_visits: list[VisitRef] | None = None,
    ) -> Counts:
        """The counts line; ``reload`` passes the rows it has just read, so they are read once."""
        svc = self.svc
        c, store = svc.campaign, svc.store
        if all_refs is None:
            all_refs = store.stations.refs()
        if all_visits is None:
            all_visits = store.assessments.visit_refs(c.id)
        refs = [r for r in all_refs if r.in_scope(today)]
        ids = {r.id for r in refs}
        visits = [v for v in all_visits if v.station_id in ids]
        counting = counting_visits(visits, today)
        outcomes = store.assessments.outcomes(c.id)
        passed = sum(1 for v in counting.values() if v.passed)
        vetoed = sum(1 for v in counting.values() if v.id in outcomes and outcomes[v.id].vetoed)
        drafts = store.assessments.status_counts(c.id).get("draft", 0)
        unsent = [
            b
            for b in store.batches.unacknowledged(c.id)
            if b.superseded_by is None and not b.emailed_at
        ]
        return Counts(
            stations=len(refs),
            drafts=drafts,
            completed=len(counting),
            passed=passed,
            failed=len(counting) - passed,
            vetoed=vetoed,
            unsent=len(unsent),
            queued=sum(1 for b in unsent if b.queued_at),
        )

    def behind_text(self, ids: list[int], plan: dict[int, str]) -> str:
        tr = self.tr
        if not ids:
            return tr("没有落后于计划月份的服务站。", "No station is behind its planned month.")
        lang = self.svc.lang
        stations = self.svc.store.stations.names()
        ordered = sorted(ids, key=lambda i: (plan.get(i, ""), stations.get(i, "")))
        names = [
            escape(
                f"{short_name(stations[i])}（{month_long(plan[i], lang)}）"
                if lang != "en"
                else f"{short_name(stations[i])} ({month_long(plan[i], lang)})"
            )
            for i in ordered[:BEHIND_SHOWN]
            if i in stations
        ]
        more = len(ids) - len(names)
        sep = "、" if lang != "en" else ", "
        text = sep.join(names)
        if more > 0:
            text += tr(f" 等，另有 {more} 个", f" and {more} more")
        head = tr(
            f"[b $warning]落后于计划月份：{len(ids)} 个服务站[/]",
            f"[b $warning]Behind their planned month: {len(ids)} stations[/]",
        )
        return f"{head}\n{text}"

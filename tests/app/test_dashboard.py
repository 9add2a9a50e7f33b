"""The dashboard against the store: the figures it shows are the domain's, and follow changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from fieldtui.domain.progress import counting_visits, progress, stations_behind_plan
from fieldtui.screens.dashboard import DashboardScreen
from fieldtui.store.store import open_store
from fieldtui.widgets.bars import PeriodBars, bar
from tests.app.conftest import DEMO_STATIONS, TODAY, AppFactory


async def test_counts_and_bars_match_the_store(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    c = app.campaign
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        counts = screen.counts(TODAY)
        rows = screen.query_one(PeriodBars).rows
        behind = list(screen.behind_ids)
        deadline = str(screen.query_one("#dash-deadline").render())
    with open_store(demo_home) as store:
        refs = store.stations.refs()
        visits = store.assessments.visit_refs(c.id)
        plan = store.plan.months(c.id)
        counting = counting_visits(visits, TODAY)
        status = store.assessments.status_counts(c.id)
        vetoed = {a.id for a in store.assessments.for_campaign(c.id) if a.complete and a.veto}
    assert counts.stations == DEMO_STATIONS
    assert counts.completed == len(counting)
    assert counts.passed == sum(v.passed for v in counting.values())
    assert counts.failed == counts.completed - counts.passed
    assert counts.vetoed == sum(1 for v in counting.values() if v.id in vetoed)
    assert counts.drafts == status.get("draft", 0)
    prog = progress(c, refs, visits, plan)
    assert [(r.target, r.planned, r.rate, r.met) for r in rows] == [
        (p.target, p.planned_share, p.rate, p.met) for p in prog
    ]
    assert behind == stations_behind_plan(refs, visits, plan, TODAY)
    assert "20" in deadline  # 10 June to 30 June


async def test_follows_changes_made_on_other_screens(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    cid = app.campaign.id
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        behind = list(screen.behind_ids)
        assert behind
        # On the plan, move the first station planned for March (behind) to the last month.
        await pilot.press("f4")
        sid = app.screen.query_one("#plan-grid").cursor_key  # type: ignore[attr-defined]
        assert sid in behind
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("end", "up", "enter", "f2")
        await pilot.pause()
        assert app.store.plan.months(cid)[sid] == "2023-12"
        assert sid not in screen.behind_ids
        assert set(screen.behind_ids) == set(behind) - {sid}


async def test_after_the_last_deadline(make_app: AppFactory, demo_home: Path) -> None:
    from fieldtui.app import FieldApp

    app = FieldApp(demo_home, "en", today=dt.date(2024, 1, 5), blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#dash-deadline").render())
        assert "past its deadline" in text


def test_bar_marks_the_target_and_fills_by_value() -> None:
    chars, filled = bar(0.5, 0.25, 20)
    assert filled == 10 and len(chars) == 20
    assert chars[4] == "┃" and chars.count("┃") == 1
    chars, filled = bar(None, 1.0, 10)
    assert filled == 0 and chars.endswith("┃")
    assert Text(bar(1.0, 0.5, 8)[0]).cell_len == 8


async def test_counts_batches_not_yet_sent(make_app: AppFactory, demo_home: Path) -> None:
    """The newest batch of each period counts until the county acknowledges it (or it was
    e-mailed); a superseded batch does not count."""
    from fieldtui.campaigns import active
    from fieldtui.settings import load_settings
    from fieldtui.sync.seal import seal_period

    settings = load_settings(demo_home)
    settings.set("unit", "龙河镇")
    settings.save()
    c = active(demo_home)
    with open_store(demo_home) as store:
        q1 = seal_period(store, c, settings, "2023Q1").batch
        store.batches.queue([q1.id])
        q2 = seal_period(store, c, settings, "2023Q2").batch
        store.batches.queue([q2.id])
        store.batches.start_attempt(q2.id)
        store.batches.acknowledge(q2.id, {"batch_id": q2.id, "digest": q2.digest})
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        counts = screen.counts(TODAY)
        text = str(screen.query_one("#dash-counts").render())
    assert (counts.unsent, counts.queued) == (1, 1)
    assert "未报送批次 1" in text and "1 个待发送" in text


async def test_follows_a_station_scored_on_the_scoring_screen(
    make_app: AppFactory, demo_home: Path
) -> None:
    """Scores go through the scoring screen's writer thread, on a connection of its own: the
    dashboard, the ledger and the plan must still see them when the officer comes back."""
    from fieldtui.screens.scoring import ScoringScreen

    app = make_app(demo_home)
    cid = app.campaign.id
    done = {v.station_id for v in app.store.assessments.visit_refs(cid)}
    target = next(s for s in app.store.stations.all() if s.id not in done)
    initials = target.pinyin.split()[1]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        before = dashboard.counts(TODAY)
        drawn = str(dashboard.query_one("#dash-counts", Static).render())
        assert f"已完成验收 {before.completed} " in drawn
        await pilot.press("f3", "f4", "f5")  # every screen drawn once before the scoring
        await pilot.pause()
        await pilot.press(*initials, "enter")
        await pilot.pause()
        scoring = app.screen
        assert isinstance(scoring, ScoringScreen) and scoring.station is not None
        assert scoring.station.id == target.id
        await pilot.press("f", "c", "enter")
        assert scoring.flush(10)
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        drawn = str(dashboard.query_one("#dash-counts", Static).render())
        assert f"已完成验收 {before.completed + 1} " in drawn
        assert f"达标 {before.passed + 1} " in drawn

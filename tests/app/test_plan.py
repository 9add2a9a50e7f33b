"""The monthly plan, driven by keys only; assertions read the plan back from the store."""

from __future__ import annotations

from pathlib import Path

from fieldtui.domain.progress import progress
from fieldtui.screens.plan import MonthPicker, PlanScreen
from fieldtui.store.store import open_store
from fieldtui.widgets.table import FastTable
from tests.app.conftest import AppFactory


def grid(app: object) -> FastTable:
    return app.screen.query_one("#plan-grid", FastTable)  # type: ignore[attr-defined]


def months_in_store(home: Path, campaign_id: str) -> dict[int, str]:
    with open_store(home) as store:
        return store.plan.months(campaign_id)


async def test_move_clear_and_set_the_planned_month(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    cid = app.campaign.id
    before = months_in_store(demo_home, cid)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        assert isinstance(app.screen, PlanScreen)
        sid = grid(app).cursor_key
        assert sid is not None
        start = before[sid]
        assert start == "2023-03"  # sorted by planned month: the first row is in March
        await pilot.press("right", "right")
        assert app.store.plan.months(cid)[sid] == "2023-05"
        await pilot.press("left")
        assert app.store.plan.months(cid)[sid] == "2023-04"
        # Before March there is no month: the plan stays.
        await pilot.press("left", "h")
        assert app.store.plan.months(cid)[sid] == "2023-03"
        await pilot.press("delete")
        assert sid not in app.store.plan.months(cid)
        # An unplanned station goes to this month (June 2023) on either key.
        await pilot.press("l")
        assert app.store.plan.months(cid)[sid] == "2023-06"
        # The picker: the current month is highlighted; down twice and Enter picks August.
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MonthPicker)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, PlanScreen)
        assert app.store.plan.months(cid)[sid] == "2023-08"
        # Enter on the grid opens the picker too; End goes to "no month".
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("end", "enter")
        assert sid not in app.store.plan.months(cid)
        # Esc in the picker changes nothing.
        await pilot.press("x", "m")
        await pilot.pause()
        await pilot.press("escape")
        assert sid not in app.store.plan.months(cid)
    after = months_in_store(demo_home, cid)
    assert sid not in after
    assert {k: v for k, v in after.items()} == {k: v for k, v in before.items() if k != sid}


async def test_periods_follow_the_plan_and_mark_shortfalls(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home)
    c = app.campaign
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        assert screen.short_periods == []
        # Unplan the first three stations (the March/April ones): every period falls short.
        await pilot.press("delete", "down", "delete", "down", "delete")
        assert screen.short_periods == [p.label for p in c.periods]
    with open_store(demo_home) as store:
        prog = progress(c, store.stations.refs(), store.assessments.visit_refs(c.id),
                        store.plan.months(c.id))  # fmt: skip
    q1 = prog[0]
    assert q1.plan_short and q1.planned == q1.needed - 3


async def test_passed_stations_are_marked_in_their_month(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        marks = screen.visit_marks
        assert marks
        for sid, (month, passed) in marks.items():
            row = grid(app).row(sid)
            assert row is not None
            col = 1 + screen.months.index(month)
            assert ("✓" if passed else "✗") in str(row.cells[col])

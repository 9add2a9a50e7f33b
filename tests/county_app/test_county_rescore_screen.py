"""Re-scoring in the county app with the townships' own scoring screen and engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable

from fieldtui.county import reviews
from fieldtui.county.store import open_county


async def _settle(pilot, rounds: int = 5) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        await pilot.pause()
        await asyncio.sleep(0.05)


async def test_rescore_in_the_scoring_screen_and_compare(county_home: Path, make_app) -> None:
    app = make_app(county_home, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await _settle(pilot)
        wl = app.screen
        entries = wl.data["entries"]
        idx = next(i for i, e in enumerate(entries) if e["unit"] == "丰收镇")
        e = entries[idx]
        for _ in range(idx):
            await pilot.press("down")
        await pilot.press("enter")
        await _settle(pilot)
        from fieldtui.screens.scoring import ScoringScreen

        scoring = app.screen
        assert isinstance(scoring, ScoringScreen)
        assert scoring.station is not None and scoring.station.name == f"丰收镇·{e['name']}"
        assert scoring.visit is None  # a new county visit, dated the app's today
        # items 1-7 get zero (13 points), the rest full marks: 87, below the pass mark
        await pilot.press(*["n"] * 7, "f")
        await _settle(pilot)
        assert scoring.result is not None and scoring.result.total == 87
        await pilot.press("c")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot, 10)
        assert scoring.visit is not None and scoring.visit.complete
        # back to the work list: the county visit is collected and compared
        await pilot.press("f3")
        await _settle(pilot)
        row = [str(c) for c in app.screen.query_one("#entries", DataTable).get_row_at(idx)]
        assert row[3].startswith("⚠ 87 fail")
    with open_county(county_home) as store:
        in_force = reviews.current_rescores(store)
        (r,) = in_force.values()
        assert (r.unit, r.station_id, r.total, r.passed) == ("丰收镇", e["station_id"], 87, False)
        assert r.reviewer == "王审核" and r.date == "2023-07-15"
        comp = reviews.comparison(store, app.campaign, r)
    assert comp is not None and comp.verdict_changed
    assert [d.n for d in comp.differences if d.county == 0] == [
        n for n in range(1, 8) if comp.items[n - 1].township
    ]


async def test_a_visit_completed_just_before_quitting_is_recorded(
    county_home: Path, make_app
) -> None:
    app = make_app(county_home, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("f", "c")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot, 10)
        await pilot.press("ctrl+q")  # straight out of the scoring screen
        await _settle(pilot)
    with open_county(county_home) as store:
        (r,) = reviews.current_rescores(store).values()
    assert r.total == 100 and r.passed

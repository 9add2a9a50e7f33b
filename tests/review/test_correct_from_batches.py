"""The township officer opens a station the county returned, corrects it as a revision in the
scoring screen, and seals the superseding batch — all from the app, by keys."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from textual.widgets import Input, Static

from fieldtui.app import FieldApp
from fieldtui.campaigns import active
from fieldtui.domain.review import REVIEW_SCHEMA_ID
from fieldtui.store.store import open_store
from fieldtui.sync.seal import seal_period
from tests.sync.helpers import SEAL_TIME, UNIT, make_settings, small_township


async def _settle(pilot, rounds: int = 5) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        await pilot.pause()
        await asyncio.sleep(0.05)


def _returned_township(home: Path) -> tuple[str, int, int]:
    """A township whose 2023Q2 batch the county acknowledged and returned for 青龙村."""
    c = active(None)
    settings = make_settings(home)
    with open_store(home) as store:
        ids = small_township(store, c)
        batch = seal_period(store, c, settings, "2023Q2", now=lambda: SEAL_TIME).batch
        store.batches.queue([batch.id])
        store.batches.start_attempt(batch.id)
        store.batches.acknowledge(batch.id, {
            "batch_id": batch.id, "digest": batch.digest, "received_at": "2023-07-03T10:02:11+08:00",
            "unit": UNIT, "campaign_id": c.id, "period": "2023Q2", "supersedes": None,
            "duplicate": False,
        })  # fmt: skip
        refs = store.assessments.visit_refs(c.id)
        visit = max((r for r in refs if r.station_id == ids["a"] and r.complete),
                    key=lambda r: r.date)  # fmt: skip
        verdict = {
            "id": 1, "verdict": "returned", "reason": "抽查复核不达标",
            "stations": [{"id": ids["a"], "name": "青龙村退役军人服务站"}], "reviewer": "王审核",
            "decided_at": "2023-07-06T09:30:00.000+08:00", "supersedes": None,
        }  # fmt: skip
        store.reviews.record({
            "schema": REVIEW_SCHEMA_ID, "batch_id": batch.id, "unit": UNIT, "campaign_id": c.id,
            "period": "2023Q2", "received_at": "2023-07-03T10:02:11+08:00", "superseded_by": None,
            "status": "returned", "verdict": verdict, "history": [verdict], "spot_checks": [],
            "generated_at": "2023-07-06T09:31:00+08:00",
        }, "endpoint", "2023-07-06T09:31:00+08:00")  # fmt: skip
    return batch.id, ids["a"], visit.id


async def test_open_a_returned_station_revise_it_and_seal_again(home: Path) -> None:
    first, station, visit = _returned_township(home)
    app = FieldApp(home, "en", today=dt.date(2023, 7, 6), blink=False, check_storage=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await _settle(pilot)
        detail = str(app.screen.query_one("#batch-detail", Static).render())
        assert "County review: returned (抽查复核不达标)" in detail
        assert "To correct: 青龙村退役军人服务站" in detail
        await pilot.press("o")
        await _settle(pilot)
        from fieldtui.screens.scoring import ScoringScreen

        scoring = app.screen
        assert isinstance(scoring, ScoringScreen)
        assert scoring.station is not None and scoring.station.id == station
        assert scoring.visit is not None and scoring.visit.id == visit and scoring.visit.complete
        await pilot.press("R")  # revise the counting visit, with a reason
        await _settle(pilot)
        app.screen.query_one(Input).value = "按县级抽查复核更正"
        await pilot.press("enter")
        await _settle(pilot, 10)
        assert scoring.visit is None or scoring.visit.revises == visit
        await pilot.press(*["n"] * 6)  # items 1-6 lose 10 points: 87
        await _settle(pilot, 10)
        await pilot.press("c")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot, 10)
        assert scoring.visit is not None and scoring.visit.complete
        assert scoring.visit.revises == visit and scoring.result is not None
        assert scoring.result.total == 87 and not scoring.result.passed
        # back to the batches: sealing Q2 again makes the superseding batch
        await pilot.press("f6")
        await _settle(pilot)
        batches = app.screen
        if batches.selected_period().label != "2023Q2":  # the cursor starts on the next deadline
            batches.query_one("#quarters").focus()
            await pilot.press("up")
        assert batches.selected_period().label == "2023Q2"
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await _settle(pilot)
    with open_store(home) as store:
        second = store.batches.latest(active(None).id, "2023Q2")
        assert second is not None and second.id != first and second.supersedes == first
        assert second.passed == store.batches.get(first).passed - 1

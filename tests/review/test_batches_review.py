"""The batches screen shows the county's review: fetched after a send and with v, the verdict and
its reason in the batch's detail, and the stations to correct."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from fieldtui.county import reviews
from fieldtui.county.store import open_county
from fieldtui.store.store import open_store
from fieldtui.sync.client import PushConfig
from tests.batches.harness import BatchesHarness
from tests.support.county_server import CountyServer, fieldtui, start_county
from tests.support.review import failing_sheet
from tests.sync.helpers import UNIT, make_settings, small_township


@pytest.fixture
def county(tmp_path: Path) -> Iterator[CountyServer]:
    with start_county(tmp_path / "county", units=[UNIT]) as srv:
        yield srv


@pytest.fixture
def township(home: Path, campaign, county: CountyServer) -> dict[str, int]:
    make_settings(home)
    with open_store(home) as store:
        ids = small_township(store, campaign)
    fieldtui(home, "config", "set", "endpoint", county.url)
    fieldtui(home, "config", "set", "token", county.tokens[UNIT])
    return ids


async def _finish(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(app: BatchesHarness, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_send_fetches_the_review_and_v_shows_a_returned_batch(
    home: Path, township: dict[str, int], county: CountyServer, campaign, tmp_path: Path
) -> None:
    app = BatchesHarness(home, lang="en", today=dt.date(2023, 6, 20),
                         push_config=PushConfig(deadline=20))  # fmt: skip
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("u")  # seal and send 2023Q2
        await _finish(pilot)
        assert "acknowledged" in _text(app, "#job-status")
        assert "County review: pending" in _text(app, "#batch-detail")
        with open_store(home) as store:
            (b,) = store.batches.all()
            assert store.reviews.latest(b.id) is not None  # fetched after the send

        # The county re-scores 青龙村 below the pass mark and returns the batch.
        county.cli("county", "sample", "--quarter", "2023Q2", "--count", "5", "--seed", "1",
                   "--reviewer", "王审核")  # fmt: skip
        with open_county(county.home) as cs:
            visit = reviews.township_visit(cs, b.id, township["a"])
        sheet, _ = failing_sheet(campaign, visit)
        path = tmp_path / "sheet.json"
        path.write_text(json.dumps(sheet), encoding="utf-8")
        county.cli("county", "rescore", UNIT, str(township["a"]), "--from", str(path),
                   "--reviewer", "王审核")  # fmt: skip
        county.cli("county", "verdict", b.id, "returned", "--reason", "复核不达标",
                   "--stations", str(township["a"]), "--reviewer", "王审核")  # fmt: skip

        await pilot.press("v")
        await _finish(pilot)
        assert "Fetched the county's review of 1" in _text(app, "#job-status")
        detail = _text(app, "#batch-detail")
        assert "County review: returned (复核不达标); 1 spot-checked" in detail
        assert "To correct: 青龙村退役军人服务站 (o opens it" in detail
        state = [str(c) for c in app.screen.query_one("#batch-list").get_row_at(0)]
        assert state[4] == "acknowledged·returned"

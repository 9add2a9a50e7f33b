"""Repository queries the screens use (screens never run SQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput
from fieldtui.domain.scoring import full_marks
from fieldtui.store.store import open_store


def test_outcomes_drafts_and_revision(tmp_path: Path) -> None:
    c = active(tmp_path)
    with open_store(tmp_path) as store:
        r0 = store.revision()
        a, b, d = (store.stations.add(StationInput(name=n)) for n in ("甲村", "乙村", "丙村"))
        assert store.revision() > r0
        day = dt.date(2023, 5, 3)
        # a: passes; b: full marks but vetoed; d: an open draft only.
        aid = store.assessments.create(a, c, day, "officer")
        store.assessments.import_sheet(aid, c, full_marks(c), {}, [], [])
        store.assessments.complete(aid, c)
        bid = store.assessments.create(b, c, day, "officer")
        store.assessments.import_sheet(bid, c, full_marks(c), {}, [], [2])
        store.assessments.complete(bid, c)
        did = store.assessments.create(d, c, day, "officer")
        outcomes = store.assessments.outcomes(c.id)
        assert set(outcomes) == {aid, bid}
        assert outcomes[aid].passed and not outcomes[aid].vetoed and outcomes[aid].total == 100
        assert not outcomes[bid].passed and outcomes[bid].vetoed
        assert store.assessments.draft_stations(c.id) == {d}
        assert store.assessments.outcomes("another-campaign") == {}
        # A write through another connection (the scoring writer, a CLI command) counts by
        # itself; touch() counts changes that reach the database some other way.
        r1 = store.revision()
        assert store.revision() == r1
        with open_store(tmp_path) as other:
            other.assessments.discard_draft(did)
        r2 = store.revision()
        assert r2 > r1
        store.touch()
        assert store.revision() == r2 + 1
        assert store.assessments.draft_stations(c.id) == set()

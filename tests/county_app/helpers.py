"""Re-scoring a sampled station the way the CLI does, for the app tests."""

from __future__ import annotations

import json
from pathlib import Path

from fieldtui.campaigns import active
from fieldtui.county import reviews
from fieldtui.county.store import open_county
from tests.county_app.conftest import REVIEWER
from tests.support.review import failing_sheet


def rescore_first_lower(home: Path, tmp: Path, unit: str = "丰收镇") -> reviews.Entry:
    """Re-score ``unit``'s sampled station so that it fails (the biggest items set to 0)."""
    from fieldtui.cli import main

    campaign = active(home)
    with open_county(home) as store:
        s = reviews.latest_sample(store, campaign.id, "2023Q2")
        assert s is not None
        e = next(x for x in reviews.entries(store, s.id) if x.unit == unit)
        visit = reviews.township_visit(store, e.batch_id, e.station_id)
    assert visit is not None
    sheet, lowered = failing_sheet(campaign, visit)
    sheet["notes"] = {str(lowered[0]): "现场无专职人员"}
    path = tmp / "sheet.json"
    path.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    code = main(["--home", str(home), "county", "rescore", unit, str(e.station_id),
                 "--from", str(path), "--date", "2023-07-12", "--reviewer", REVIEWER])  # fmt: skip
    assert code == 0
    return e

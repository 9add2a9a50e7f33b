"""A county home with fixed content for the county app's Pilot and snapshot tests.

Three townships sent their 2023Q2 batch: 丰收镇 pushed on time (24 stations, behind the target),
长乐镇 pushed late and then a correction (12 stations, behind), 太平镇 e-mailed a batch sealed in
time (18 stations, 11 passed: it meets the target) with the scan of its stamped pages; 青龙镇 is registered and sent nothing. Batch ids, seal and receipt times are fixed, so
the pictures do not change between runs. A draw (seed 2023, one station per township) is stored,
and the app's clock is frozen at 15 July 2023.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fieldtui.domain.rubric import CHINA_TZ
from tests.support.batches import BatchFactory

NOW = dt.datetime(2023, 7, 15, 10, 0, tzinfo=CHINA_TZ)
REVIEWER = "王审核"


def _t(day: int, hour: int, month: int = 6) -> dt.datetime:
    return dt.datetime(2023, month, day, hour, 0, tzinfo=CHINA_TZ)


def _pass_more(factory: BatchFactory, n: int) -> None:
    """Give ``n`` stations of the factory's township a full-marks visit in June 2023."""
    from fieldtui.domain.scoring import full_marks
    from fieldtui.store.store import open_store

    c = factory.campaign
    with open_store(factory.home) as store:
        refs = store.assessments.visit_refs(c.id)
        passed = {r.station_id for r in refs if r.passed}
        todo = [s for s in factory.stations if s.id not in passed and s.archived is None][:n]
        for st in todo:
            aid = store.assessments.create(st.id, c, dt.date(2023, 6, 15), "冉小明")
            store.assessments.import_sheet(aid, c, full_marks(c), {}, [], [])
            store.assessments.complete(aid, c)
        factory.assessments = store.assessments.for_campaign(c.id)


@pytest.fixture(scope="session")
def county_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fieldtui.campaigns import load_all
    from fieldtui.county import reviews
    from fieldtui.county.intake import check_file, store_file, submit
    from fieldtui.county.store import open_county
    from fieldtui.domain.sampling import Parameters, Rule

    root = tmp_path_factory.mktemp("county-app")
    big = BatchFactory(root / "t1", stations=24, seed=2023)
    small = BatchFactory(root / "t2", stations=12, seed=7)
    mid = BatchFactory(root / "t3", stations=18, seed=11)
    _pass_more(mid, 6)  # 太平镇 meets the Q2 target (11 of 18 passed)
    home = root / "county"
    (home).mkdir()
    (home / "settings.toml").write_text(f'officer = "{REVIEWER}"\n', encoding="utf-8")
    a = big.seal("丰收镇", batch_id="11111111-1111-4111-8111-111111111111", sealed_at=_t(28, 9))
    b = small.seal("长乐镇", batch_id="22222222-2222-4222-8222-222222222222", sealed_at=_t(1, 9, 7))
    b2 = small.seal(
        "长乐镇",
        batch_id="22222222-2222-4222-8222-333333333333",
        sealed_at=_t(3, 9, 7),
        supersedes=b.batch_id,
        change=lambda c: c.update(officer="李四"),
    )
    c = mid.seal("太平镇", batch_id="33333333-3333-4333-8333-333333333333", sealed_at=_t(30, 20))
    campaigns = load_all(home)
    with open_county(home) as store:
        for u in ("丰收镇", "长乐镇", "太平镇", "青龙镇"):
            store.add_unit(u, "2023-05-01T09:00:00.000+08:00")
        for s, source, when in (
            (a, "push", "2023-06-28T09:00:05.000+08:00"),
            (b, "push", "2023-07-01T09:00:05.000+08:00"),
            (b2, "push", "2023-07-03T09:00:05.000+08:00"),
            (c, "import", "2023-07-04T15:00:00.000+08:00"),
        ):
            submit(store, campaigns, s.body, source=source, received_at=when)
        # 太平镇's e-mail carried the scan of its stamped pages
        scan = check_file("太平镇_2023Q2_盖章页.pdf", b"%PDF-1.4\n% stamped pages\n%%EOF\n")
        store_file(store, c.batch_id, scan, source="import",
                   received_at="2023-07-04T15:00:00.000+08:00")  # fmt: skip
        campaign = next(iter(campaigns.values()))
        reviews.draw_sample(store, campaign, "2023Q2", Parameters(Rule("count", 1)), "2023",
                            REVIEWER, "2023-07-10T09:00:00.000+08:00")  # fmt: skip
    return home


@pytest.fixture
def county_home(county_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "county"
    shutil.copytree(county_template, home)
    return home


AppFactory = Callable[..., object]


@pytest.fixture
def make_app() -> AppFactory:
    from fieldtui.screens.county.app import CountyApp

    def make(home: Path, lang: str = "zh", ansi: bool = False) -> CountyApp:
        return CountyApp(home, lang, now=NOW, ansi_color=ansi or None)

    return make

"""Building townships for the batch tests: stations, plans and visits with known scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from fieldtui.domain.ledger import StationInput
from fieldtui.domain.rubric import CHINA_TZ, Campaign
from fieldtui.domain.scoring import BonusEntry, full_marks
from fieldtui.settings import Settings, load_settings
from fieldtui.store.store import Store

UNIT = "龙河镇"
SEAL_TIME = dt.datetime(2023, 7, 3, 9, 30, tzinfo=CHINA_TZ)


def make_settings(home: Path, **extra: object) -> Settings:
    s = load_settings(home)
    s.set("unit", UNIT)
    s.set("officer", "冉小明")
    s.set("phone", "13800138000")
    for k, v in extra.items():
        s.set(k.replace("__", "."), v)
    s.save()
    return s


def add_station(store: Store, name: str, contact: str = "", phone: str = "", **kw: object) -> int:
    return store.stations.add(StationInput(name=name, contact=contact, phone=phone, **kw))  # type: ignore[arg-type]


def visit(
    store: Store,
    campaign: Campaign,
    station_id: int,
    day: dt.date,
    *,
    zero: Iterable[int] = (),
    notes: dict[int, str] | None = None,
    bonus: Iterable[BonusEntry] = (),
    veto: Iterable[int] = (),
    complete: bool = True,
) -> int:
    """A visit scoring full marks except the items in ``zero``."""
    aid = store.assessments.create(station_id, campaign, day, "冉小明")
    scores: dict[int, float | None] = dict(full_marks(campaign))
    for n in zero:
        scores[n] = 0.0
    store.assessments.import_sheet(aid, campaign, scores, notes or {}, list(bonus), list(veto))
    if complete:
        store.assessments.complete(aid, campaign)
    return aid


def small_township(store: Store, campaign: Campaign) -> dict[str, int]:
    """Five stations in 2023Q2: passes, a fail with notes, a veto, a bonus, one never visited."""
    ids = {
        "a": add_station(store, "青龙村退役军人服务站", "王国明", "13912345678"),
        "b": add_station(store, "白云社区退役军人服务站", "李秀英", "023-70712345"),
        "c": add_station(store, "石桥村退役军人服务站", "张建军", "15823456789"),
        "d": add_station(store, "高峰村退役军人服务站", "刘德华", "18912345678"),
        "e": add_station(store, "红星村退役军人服务站", "", ""),
    }
    for key, month in zip(
        "abcde", ("2023-05", "2023-05", "2023-06", "2023-06", "2023-06"), strict=True
    ):
        store.plan.set(campaign, ids[key], month)
    visit(store, campaign, ids["a"], dt.date(2023, 5, 10), zero=[7])  # 97: passes
    visit(
        store,
        campaign,
        ids["b"],
        dt.date(2023, 5, 12),
        zero=[6, 9, 17, 27],
        notes={6: "未配备专职人员", 9: "无独立办公场所"},
    )  # 88: fails
    visit(store, campaign, ids["c"], dt.date(2023, 6, 2), veto=[2])  # 100 but vetoed
    visit(
        store,
        campaign,
        ids["d"],
        dt.date(2023, 6, 20),
        zero=[6, 7],
        bonus=[BonusEntry(59, 2.0, "在市级会议上交流经验", "prefectural")],
    )  # 94 + 2
    visit(store, campaign, ids["a"], dt.date(2023, 4, 20), zero=[1])  # an earlier visit, in Q1
    return ids

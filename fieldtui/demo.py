"""A realistic demo township: stations, people, phones, a plan, drafts and completed assessments.

Deterministic for a given seed, so tests and benchmarks can rely on it.
"""

from __future__ import annotations

import datetime as dt
import random

from fieldtui.domain.ledger import StationInput
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import BonusEntry, full_marks
from fieldtui.store.store import Store

_FIRST = "永丰长乐太平新华金竹龙泉双河青龙白云石桥高峰红星向阳和平东升三合兴隆大河柏树桂花光明荷花"
_SECOND = "村社区"
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何罗高林郑谢唐冉秦谭向"
_GIVEN = "国明华建军平志勇伟强德秀英兰芳林海云春红玉成福贵祥兵"


def station_names(n: int, rng: random.Random) -> list[str]:
    pairs = [_FIRST[i : i + 2] for i in range(0, len(_FIRST) - 1, 2)]
    names: list[str] = []
    i = 0
    while len(names) < n:
        base = pairs[i % len(pairs)]
        kind = "社区" if rng.random() < 0.2 else "村"
        suffix = "" if i < len(pairs) else "一二三四五六七八九十"[(i // len(pairs) - 1) % 10]
        name = f"{base}{suffix}{kind}退役军人服务站"
        if i >= len(pairs) * 11:
            name = f"{base}{i}{kind}退役军人服务站"
        if name not in names:
            names.append(name)
        i += 1
    return names


def person(rng: random.Random) -> str:
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(_SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "152", "158", "177", "183", "189")) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def fill_demo(
    store: Store, campaign: Campaign, n: int, seed: int = 2023, today: dt.date | None = None
) -> int:
    """Write ``n`` stations with a plan and a year of visits into an empty store.

    Visits are made only on days up to ``today`` (the real date unless given).
    """
    rng = random.Random(seed)
    inputs = []
    for name in station_names(n, rng):
        head = person(rng)
        people = rng.randint(12, 100)
        inputs.append(
            StationInput(
                name=name,
                village=name.split("退役")[0],
                head=head,
                head_role=rng.choice(("secretary", "director", "both")),
                contact=person(rng) if rng.random() < 0.6 else head,
                phone=mobile(rng) if rng.random() < 0.85 else f"023-7{rng.randrange(10**6, 10**7)}",
                people_served=people,
                veterans=rng.randint(max(1, people // 4), max(1, people // 2)),
            )
        )
    store.stations.upsert_many(inputs, [])
    stations = store.stations.all()
    # Spread the plan over the periods so each quarter's target is planned with a little slack.
    from fieldtui.domain.progress import month_end

    months = campaign.plan_months()
    for idx, st in enumerate(stations):
        share = (idx + 1) / len(stations) * 0.92
        period = next((p for p in campaign.periods if share <= p.target), campaign.periods[-1])
        in_period = [m for m in months if period.contains(month_end(m))] or months[-1:]
        store.plan.set(campaign, st.id, rng.choice(in_period))
    plan = store.plan.months(campaign.id)
    today = today or dt.date.today()
    officer = person(rng)
    for st in stations:
        y, m = (int(x) for x in plan[st.id].split("-"))
        day = dt.date(y, m, rng.randint(3, 26))
        if day > today:
            continue
        aid = store.assessments.create(st.id, campaign, day, officer, officer)
        scores = full_marks(campaign)
        notes: dict[int, str] = {}
        roll = rng.random()
        if roll < 0.06:
            # A draft left open on site.
            partial = dict(list(scores.items())[: rng.randint(5, 40)])
            store.assessments.import_sheet(aid, campaign, partial, {}, [], [], officer)
            continue
        losses = rng.sample(list(scores), k=rng.choice((0, 1, 2, 3, 5, 8)))
        if roll > 0.95:
            losses = rng.sample(list(scores), k=12)  # a station that fails
        for item in losses:
            scores[item] = 0.0
            notes[item] = rng.choice(
                (
                    "台账资料不全",
                    "现场未见公示",
                    "经费未专款专用",
                    "走访记录缺失",
                    "未建立志愿服务队",
                )
            )
        bonus = []
        if rng.random() < 0.08:
            bonus.append(BonusEntry(59, 2.0, "经验在市级工作会议上交流", "prefectural"))
        veto = [3] if rng.random() < 0.02 else []
        store.assessments.import_sheet(aid, campaign, scores, notes, bonus, veto, officer)
        store.assessments.complete(aid, campaign, officer)
    return len(stations)

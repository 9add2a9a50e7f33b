"""What the county's screens and ``--json`` outputs show, built from the county store.

Plain data (dicts and dataclasses), no Textual: the CLI prints it, the screens draw it, the tests
compare it. The figures come from :mod:`fieldtui.county.report` (newest batch, lateness, pooled
rate), so the app, ``county report`` and the exports never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fieldtui.county import reviews
from fieldtui.county.report import _when, county_report, newest, submitted_at
from fieldtui.county.store import CountyStore, StoredBatch
from fieldtui.domain.batch import num
from fieldtui.domain.review import Comparison
from fieldtui.domain.rubric import Campaign


def opt(x: float | None) -> float | int | None:
    return None if x is None else num(x)


# -- the overview of a period ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchRow:
    batch_id: str
    source: str  # push | import
    sealed_at: str
    received_at: str
    submitted_at: str
    late: bool
    stations: int
    passed: int
    newest: bool
    status: str  # the verdict in force, or pending
    scans: int = 0  # stamped scans received with it (pushed or imported)


@dataclass(frozen=True, slots=True)
class TownshipRow:
    unit: str
    registered: bool
    reported: bool
    stations: int | None = None
    passed: int | None = None
    rate: float | None = None
    needed: int | None = None
    met: bool | None = None
    late: bool = False
    late_by_days: float = 0
    late_days: int = 0  # whole days, a day begun counted
    submitted_at: str = ""
    batches: int = 0
    status: str = ""  # review of the newest batch
    scan: bool = False  # a stamped scan received with any of the period's batches

    @property
    def behind(self) -> bool:
        """Behind the target, or nothing sent: what the county has to chase."""
        return not self.reported or not self.met


@dataclass(frozen=True, slots=True)
class PeriodView:
    label: str
    first: dt.date
    last: dt.date
    due: dt.datetime
    target: float
    county: dict[str, Any]
    townships: list[TownshipRow]  # behind first, then by rate; missing ones at the end
    batches: dict[str, list[BatchRow]]  # per township, newest submission first

    @property
    def missing(self) -> list[str]:
        return [t.unit for t in self.townships if not t.reported]


def default_period(campaign: Campaign, store: CountyStore, now: dt.datetime) -> str:
    """The newest period with batches; else the newest that is due; else the first."""
    with_batches = {b.period for b in store.batches(campaign.id)}
    labels = [p.label for p in campaign.periods]
    sent = [p for p in labels if p in with_batches]
    due = [p.label for p in campaign.periods if p.due <= now]
    return (sent or due or labels[:1])[-1]


def period_view(store: CountyStore, campaign: Campaign, label: str, now: dt.datetime) -> PeriodView:
    period = campaign.period(label)
    if period is None:
        raise KeyError(label)
    units = [u.name for u in store.units()]
    every = store.batches(campaign.id)
    files = store.file_counts()
    rep = county_report(campaign, units, every, now, label, files=files)["periods"][0]
    mine = [b for b in every if b.period == label]
    by_unit: dict[str, list[StoredBatch]] = {}
    for b in mine:
        by_unit.setdefault(b.unit, []).append(b)
    rows: list[TownshipRow] = []
    for r in rep["townships"]:
        rows.append(
            TownshipRow(
                unit=r["unit"],
                registered=r["registered"],
                reported=True,
                stations=r["stations"],
                passed=r["passed"],
                rate=r["rate"],
                needed=r["needed"],
                met=r["met"],
                late=r["late"],
                late_by_days=r["late_by_days"],
                late_days=r["late_days"],
                submitted_at=r["submitted_at"],
                batches=r["batches"],
                status=reviews.verdict_status(store, r["batch_id"]),
                scan=bool(r["scan"]),
            )
        )
    rows.sort(key=lambda t: (bool(t.met), t.rate if t.rate is not None else -1.0, t.unit))
    rows += [TownshipRow(unit=u, registered=True, reported=False) for u in rep["missing"]]
    batches: dict[str, list[BatchRow]] = {}
    for unit, group in by_unit.items():
        cur = newest(group)
        batches[unit] = [
            BatchRow(
                batch_id=b.batch_id,
                source=b.source,
                sealed_at=b.sealed_at,
                received_at=b.received_at,
                submitted_at=submitted_at(b),
                late=_when(submitted_at(b)) > period.due,
                stations=b.stations,
                passed=b.passed,
                newest=b.batch_id == cur.batch_id,
                status=reviews.verdict_status(store, b.batch_id),
                scans=files.get(b.batch_id, 0),
            )
            for b in sorted(group, key=lambda b: (_when(submitted_at(b)), b.seq), reverse=True)
        ]
    return PeriodView(
        label=label,
        first=period.first,
        last=period.last,
        due=period.due,
        target=period.target,
        county=rep["county"],
        townships=rows,
        batches=batches,
    )


# -- the work list -----------------------------------------------------------------------------


def rescore_json(r: reviews.Rescore) -> dict[str, Any]:
    return {
        "id": r.id,
        "date": r.date,
        "reviewer": r.reviewer,
        "total": num(r.total),
        "passed": r.passed,
        "supersedes": r.supersedes,
        "recorded_at": r.recorded_at,
    }


def comparison_json(comp: Comparison) -> dict[str, Any]:
    def side(s: Any) -> dict[str, Any]:
        return {
            "base": num(s.base),
            "bonus": num(s.bonus),
            "total": num(s.total),
            "veto": list(s.veto),
            "passed": s.passed,
        }

    return {
        "township": side(comp.township),
        "county": side(comp.county),
        "delta": num(comp.delta),
        "verdict_changed": comp.verdict_changed,
        "items": [
            {"n": r.n, "max": num(r.max), "township": opt(r.township), "county": opt(r.county)}
            for r in comp.differences
        ],
    }


def worklist_json(
    store: CountyStore, campaign: Campaign, s: reviews.SampleRow | None
) -> dict[str, Any]:
    """The ``county worklist --json`` object (documented in docs/cli.md)."""
    if s is None:
        return {"sample": None, "entries": [], "done": 0, "total": 0}
    in_force = reviews.current_rescores(store, s.id)
    rows = []
    for e in reviews.entries(store, s.id):
        r = in_force.get((e.sample_id, e.unit, e.station_id))
        comp = reviews.comparison(store, campaign, r) if r is not None else None
        rows.append(
            {
                "unit": e.unit,
                "batch_id": e.batch_id,
                "batch_status": reviews.verdict_status(store, e.batch_id),
                "station_id": e.station_id,
                "name": e.name,
                "township_total": opt(e.total),
                "rescore": None if r is None else rescore_json(r),
                "comparison": None if comp is None else comparison_json(comp),
            }
        )
    head = {
        "id": s.id,
        "campaign": s.campaign_id,
        "period": s.period,
        "seed": s.seed,
        "reviewer": s.reviewer,
        "drawn_at": s.drawn_at,
    }
    done = sum(1 for r in rows if r["rescore"] is not None)
    return {"sample": head, "entries": rows, "done": done, "total": len(rows)}

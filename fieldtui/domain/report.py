"""What the quarterly material says, computed from a sealed batch (the wire payload) alone.

The 附件2 statistics rows, the figures and findings of the acceptance report (验收报告): stations,
assessed, passed, the rate against the target, the stations that failed and where they lost most,
the items most often deducted, the stations behind plan. Every export writer reads these, so the
files always say what the sealed bytes say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldtui.domain.progress import month_end
from fieldtui.domain.rubric import CHINA_TZ, Campaign

PASS_ZH = "达标"
FAIL_ZH = "未达标"
VETO_ZH = "未达标（一票否决）"


@dataclass(frozen=True, slots=True)
class StatRow:
    """One row of 附件2: a visit made in the period."""

    seq: int
    visit_id: int
    station_id: int
    name: str
    total: float
    contact: str
    phone: str
    passed: bool
    vetoed: bool
    date: str

    @property
    def remark(self) -> str:
        if self.passed:
            return PASS_ZH
        return VETO_ZH if self.vetoed else FAIL_ZH


@dataclass(frozen=True, slots=True)
class LostItem:
    number: int
    text: str
    lost: float
    note: str


@dataclass(frozen=True, slots=True)
class FailedStation:
    station_id: int
    name: str
    total: float
    vetoed: bool
    veto: tuple[str, ...]
    lost: tuple[LostItem, ...]


@dataclass(frozen=True, slots=True)
class Deduction:
    number: int
    text: str
    stations: int  # how many counting visits lost this item
    points: float  # points lost on it in all


@dataclass(frozen=True, slots=True)
class BehindPlan:
    station_id: int
    name: str
    planned_month: str
    total: float | None  # None: never assessed


@dataclass(frozen=True, slots=True)
class ReportData:
    unit: str
    officer: str
    campaign_id: str
    period: str
    period_name: str
    first: str
    last: str
    due: str
    sealed_at: str
    batch_id: str
    stations: int
    assessed: int
    passed: int
    rate: float | None
    target: float
    needed: int
    met: bool
    visits_in_period: int
    failed: tuple[FailedStation, ...]
    deductions: tuple[Deduction, ...]
    behind: tuple[BehindPlan, ...]

    @property
    def sealed_date(self) -> dt.date:
        return dt.datetime.fromisoformat(self.sealed_at).astimezone(CHINA_TZ).date()


def statistics_rows(payload: Mapping[str, Any]) -> list[StatRow]:
    """附件2: one row per visit made in the period, in date order."""
    stations = {s["id"]: s for s in payload["stations"]}
    visits = {v["id"]: v for v in payload["visits"]}
    rows = []
    for seq, vid in enumerate(payload["period_visit_ids"], start=1):
        v = visits[vid]
        st = stations[v["station_id"]]
        rows.append(
            StatRow(
                seq=seq,
                visit_id=vid,
                station_id=st["id"],
                name=st["name"],
                total=float(v["total"]),
                contact=st["contact"],
                phone=st["phone"],
                passed=bool(v["passed"]),
                vetoed=bool(v["vetoed"]),
                date=v["date"],
            )
        )
    return rows


def lost_items(campaign: Campaign, visit: Mapping[str, Any], limit: int = 5) -> list[LostItem]:
    """The items where a visit lost most points (most first), with the assessor's notes."""
    out = []
    for it in visit["items"]:
        item = campaign.item(it["n"])
        lost = item.max - float(it["score"])
        if lost > 0:
            out.append(LostItem(it["n"], item.text, lost, it["note"]))
    out.sort(key=lambda x: (-x.lost, x.number))
    return out[:limit]


def report_data(
    payload: Mapping[str, Any], campaign: Campaign, *, top_items: int = 10
) -> ReportData:
    stations = payload["stations"]
    visits = {v["id"]: v for v in payload["visits"]}
    period = payload["period"]
    last = dt.date.fromisoformat(period["last"])
    p = payload["progress"]
    veto_text = {c.number: c.text for c in campaign.veto_conditions}

    failed: list[FailedStation] = []
    deductions: dict[int, list[float]] = {}
    behind: list[BehindPlan] = []
    for st in stations:
        v = visits.get(st["visit_id"]) if st["visit_id"] is not None else None
        if v is not None:
            for it in v["items"]:
                lost = campaign.item(it["n"]).max - float(it["score"])
                if lost > 0:
                    deductions.setdefault(it["n"], []).append(lost)
            if not v["passed"]:
                failed.append(
                    FailedStation(
                        station_id=st["id"],
                        name=st["name"],
                        total=float(v["total"]),
                        vetoed=bool(v["vetoed"]),
                        veto=tuple(veto_text.get(c, str(c)) for c in v["veto"]),
                        lost=tuple(lost_items(campaign, v)),
                    )
                )
        month = st["planned_month"]
        if month is not None and month_end(month) <= last and not (v is not None and v["passed"]):
            behind.append(
                BehindPlan(st["id"], st["name"], month, None if v is None else float(v["total"]))
            )
    ranked = sorted(
        (
            Deduction(n, campaign.item(n).text, len(losses), sum(losses))
            for n, losses in deductions.items()
        ),
        key=lambda d: (-d.stations, -d.points, d.number),
    )
    failed.sort(key=lambda f: (f.total, f.station_id))
    behind.sort(key=lambda b: (b.planned_month, b.station_id))
    labelled = campaign.period(period["label"])
    return ReportData(
        unit=payload["unit"],
        officer=payload["officer"],
        campaign_id=payload["campaign_id"],
        period=period["label"],
        period_name=labelled.name if labelled else period["label"],
        first=period["first"],
        last=period["last"],
        due=period["due"],
        sealed_at=payload["sealed_at"],
        batch_id=payload["batch_id"],
        stations=p["stations"],
        assessed=p["assessed"],
        passed=p["passed"],
        rate=p["rate"],
        target=float(p["target"]),
        needed=p["needed"],
        met=p["met"],
        visits_in_period=p["visits_in_period"],
        failed=tuple(failed),
        deductions=tuple(ranked[:top_items]),
        behind=tuple(behind),
    )


def points(x: float) -> str:
    return f"{x:g}"


def report_date(payload: Mapping[str, Any]) -> tuple[int, int, int]:
    """The date printed on the forms: the day the batch was sealed, in China time."""
    d = dt.datetime.fromisoformat(payload["sealed_at"]).astimezone(CHINA_TZ).date()
    return d.year, d.month, d.day

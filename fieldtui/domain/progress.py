"""Progress maths: which visit counts, the compliance rate per period, the plan against the targets.

The compliance rate (达标率) of a period = stations in scope at its last day whose counting visit
passed, over those stations. The counting visit is the latest complete visit on or before the day;
a completed revision replaces the visit it corrects everywhere. A target is met when
passed >= ceil(target x stations). With no stations there is no rate (``None``), never an error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fieldtui.domain.rubric import CHINA_TZ, Campaign, Period


@dataclass(frozen=True, slots=True)
class StationRef:
    """What progress needs of a station: its id and the day it left the ledger, if it did."""

    id: int
    archived: dt.date | None = None

    def in_scope(self, day: dt.date) -> bool:
        return self.archived is None or self.archived > day


@dataclass(frozen=True, slots=True)
class VisitRef:
    """What progress needs of an assessment."""

    id: int
    station_id: int
    date: dt.date
    complete: bool
    passed: bool
    revises: int | None = None


@dataclass(frozen=True, slots=True)
class PeriodProgress:
    """Where a period stands: stations, passed, the rate against the target, the plan."""

    label: str
    first: dt.date
    last: dt.date
    due: dt.datetime
    stations: int
    assessed: int
    passed: int
    rate: float | None
    target: float
    needed: int
    met: bool
    planned: int
    planned_share: float | None
    plan_short: bool
    visits_in_period: int

    @property
    def gap(self) -> float | None:
        """Rate minus target (negative when behind), or None with no stations."""
        return None if self.rate is None else self.rate - self.target

    @property
    def behind(self) -> bool:
        return self.stations > 0 and not self.met

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.label,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "due": self.due.isoformat(),
            "stations": self.stations,
            "assessed": self.assessed,
            "passed": self.passed,
            "rate": self.rate,
            "target": self.target,
            "needed": self.needed,
            "met": self.met,
            "behind": self.behind,
            "planned": self.planned,
            "planned_share": self.planned_share,
            "plan_short": self.plan_short,
            "visits_in_period": self.visits_in_period,
        }


def effective_visits(visits: Iterable[VisitRef]) -> list[VisitRef]:
    """Complete visits that no complete revision has replaced."""
    complete = [v for v in visits if v.complete]
    replaced = {v.revises for v in complete if v.revises is not None}
    return [v for v in complete if v.id not in replaced]


def counting_visits(visits: Iterable[VisitRef], day: dt.date) -> dict[int, VisitRef]:
    """Per station, the latest effective visit on or before ``day`` (ties: the later record)."""
    return _latest(effective_visits(visits), day)


def _latest(effective: Iterable[VisitRef], day: dt.date) -> dict[int, VisitRef]:
    """Per station, the latest of these effective visits on or before ``day``."""
    out: dict[int, VisitRef] = {}
    for v in effective:
        if v.date > day:
            continue
        cur = out.get(v.station_id)
        if cur is None or (v.date, v.id) > (cur.date, cur.id):
            out[v.station_id] = v
    return out


@functools.lru_cache(maxsize=256)
def month_end(month: str) -> dt.date:
    """The last day of ``YYYY-MM``. Cached: progress asks it of every station in every period
    (4,000 times for a county of 1,000 stations), and a campaign has a dozen months."""
    y, m = (int(x) for x in month.split("-"))
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def period_progress(
    campaign: Campaign,
    period: Period,
    stations: Sequence[StationRef],
    visits: Sequence[VisitRef],
    plan: Mapping[int, str],
) -> PeriodProgress:
    return _period_progress(period, stations, effective_visits(visits), plan)


def _period_progress(
    period: Period,
    stations: Sequence[StationRef],
    effective: Sequence[VisitRef],
    plan: Mapping[int, str],
) -> PeriodProgress:
    day = period.last
    scope = [s for s in stations if s.in_scope(day)]
    ids = {s.id for s in scope}
    counting = _latest((v for v in effective if v.station_id in ids), day)
    passed = sum(1 for v in counting.values() if v.passed)
    n = len(scope)
    needed = period.needed(n)
    planned = sum(1 for s in scope if s.id in plan and month_end(plan[s.id]) <= day)
    in_period = sum(1 for v in effective if v.station_id in ids and period.contains(v.date))
    return PeriodProgress(
        label=period.label,
        first=period.first,
        last=period.last,
        due=period.due,
        stations=n,
        assessed=len(counting),
        passed=passed,
        rate=passed / n if n else None,
        target=period.target,
        needed=needed,
        met=passed >= needed,
        planned=planned,
        planned_share=planned / n if n else None,
        plan_short=n > 0 and planned < needed,
        visits_in_period=in_period,
    )


def progress(
    campaign: Campaign,
    stations: Sequence[StationRef],
    visits: Sequence[VisitRef],
    plan: Mapping[int, str],
) -> list[PeriodProgress]:
    effective = effective_visits(visits)  # once, not once per period
    return [_period_progress(p, stations, effective, plan) for p in campaign.periods]


def stations_behind_plan(
    stations: Sequence[StationRef],
    visits: Sequence[VisitRef],
    plan: Mapping[int, str],
    today: dt.date,
) -> list[int]:
    """Stations whose planned month has ended without a passing counting visit by ``today``."""
    counting = counting_visits(visits, today)
    out = []
    for s in stations:
        if not s.in_scope(today) or s.id not in plan:
            continue
        if month_end(plan[s.id]) < today and not (s.id in counting and counting[s.id].passed):
            out.append(s.id)
    return out


def next_deadline(campaign: Campaign, now: dt.datetime) -> Period | None:
    """The first period whose due time has not passed at ``now``."""
    for p in campaign.periods:
        if p.due >= now:
            return p
    return None


def days_left(period: Period, today: dt.date) -> int:
    return (period.due.astimezone(CHINA_TZ).date() - today).days


def china_now() -> dt.datetime:
    return dt.datetime.now(CHINA_TZ)

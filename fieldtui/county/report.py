"""The county-wide report: per period, each township's figures from its newest batch, lateness,
the pooled county rate against the target, and the registered townships that sent nothing.

Pure: it takes the stored batch rows and returns plain data (the ``county report --json`` shape,
documented in ``docs/cli.md``).

- **Newest batch.** Of a township's batches for a period, one that another of them supersedes is
  out; of the rest the latest sealed wins (then the latest received). A superseding batch so
  replaces the one it names even if the township's clock was wrong.
- **Late.** A batch's submission time is its receipt time when pushed, its seal time when
  imported from an e-mail. A township is late for a period when its *first* submission for that
  period came after the due time (+08:00): a later correction does not make it late.
  ``late_by_days`` is the delay in days (two decimals), ``late_days`` the whole days shown to
  people: a day begun counts (``ceil``), so any delay is at least 1.
- **Scan.** Whether the stamped scan arrived for the period: ``scan`` is true when any of the
  township's batches of the period has a received file (pushed or imported), ``scan_files``
  counts them. Without file counts (``files=None``) both say nothing was received.
- **County rate.** Pooled over the townships that reported: sum of passed over sum of stations;
  the target is met when passed ≥ ceil(target × stations). No stations: rate None ("—").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fieldtui.county.store import StoredBatch
from fieldtui.domain.rubric import CHINA_TZ, Campaign, Period


def _when(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=CHINA_TZ)
    return t


def submitted_at(b: StoredBatch) -> str:
    """When the township submitted: receipt time if pushed, seal time if e-mailed."""
    return b.sealed_at if b.source == "import" else b.received_at


def newest(batches: Sequence[StoredBatch]) -> StoredBatch:
    superseded = {b.supersedes for b in batches if b.supersedes}
    live = [b for b in batches if b.batch_id not in superseded] or list(batches)
    return max(live, key=lambda b: (_when(b.sealed_at), _when(b.received_at), b.seq))


def _rate(passed: int, stations: int) -> float | None:
    return passed / stations if stations else None


def period_report(
    period: Period,
    units: Iterable[str],
    batches: Sequence[StoredBatch],
    files: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    by_unit: dict[str, list[StoredBatch]] = {}
    for b in batches:
        if b.period == period.label:
            by_unit.setdefault(b.unit, []).append(b)
    registered = set(units)
    rows: list[dict[str, Any]] = []
    for unit in sorted(by_unit):
        group = by_unit[unit]
        cur = newest(group)
        first = min(group, key=lambda b: (_when(submitted_at(b)), b.seq))
        first_at = _when(submitted_at(first))
        late = first_at > period.due
        needed = period.needed(cur.stations)
        scans = sum((files or {}).get(b.batch_id, 0) for b in group)
        rows.append(
            {
                "unit": unit,
                "registered": unit in registered,
                "batch_id": cur.batch_id,
                "batches": len(group),
                "source": cur.source,
                "sealed_at": cur.sealed_at,
                "received_at": cur.received_at,
                "submitted_at": submitted_at(first),
                "late": late,
                "late_by_days": (
                    round((first_at - period.due).total_seconds() / 86400, 2) if late else 0
                ),
                "late_days": (
                    math.ceil((first_at - period.due).total_seconds() / 86400) if late else 0
                ),
                "stations": cur.stations,
                "passed": cur.passed,
                "rate": _rate(cur.passed, cur.stations),
                "needed": needed,
                "met": cur.passed >= needed,
                "scan": scans > 0,
                "scan_files": scans,
            }
        )
    stations = sum(r["stations"] for r in rows)
    passed = sum(r["passed"] for r in rows)
    needed = period.needed(stations)
    return {
        "period": period.label,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "due": period.due.isoformat(),
        "target": period.target,
        "townships": rows,
        "missing": sorted(registered - set(by_unit)),
        "county": {
            "townships": len(rows),
            "late": sum(1 for r in rows if r["late"]),
            "scans": sum(1 for r in rows if r["scan"]),
            "stations": stations,
            "passed": passed,
            "rate": _rate(passed, stations),
            "target": period.target,
            "needed": needed,
            "met": bool(rows) and passed >= needed,
        },
    }


def county_report(
    campaign: Campaign,
    units: Iterable[str],
    batches: Sequence[StoredBatch],
    now: dt.datetime,
    quarter: str | None = None,
    files: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The whole report (``files``: received files per batch id, CountyStore.file_counts). Without ``quarter``: every period that is due or has batches."""
    unit_list = sorted(set(units))
    mine = [b for b in batches if b.campaign_id == campaign.id]
    with_batches = {b.period for b in mine}
    if quarter:
        periods = [p for p in campaign.periods if p.label == quarter]
    else:
        periods = [p for p in campaign.periods if p.due <= now or p.label in with_batches]
    return {
        "campaign": campaign.id,
        "generated_at": now.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "registered": unit_list,
        "periods": [period_report(p, unit_list, mine, files) for p in periods],
    }

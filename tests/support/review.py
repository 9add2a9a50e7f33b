"""Helpers for the county review tests: a county home with received batches, score sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fieldtui.domain.rubric import Campaign
from tests.support.batches import BatchFactory, Sealed


def county_with_batches(
    home: Path,
    factory: BatchFactory,
    units: Sequence[str],
    period: str = "2023Q2",
    registered: Sequence[str] = (),
) -> dict[str, Sealed]:
    """Register ``units`` (and ``registered``) and import one batch of each into the county."""
    from fieldtui.campaigns import load_all
    from fieldtui.county.intake import now_iso, submit
    from fieldtui.county.store import open_county

    out: dict[str, Sealed] = {}
    with open_county(home) as store:
        for u in [*units, *registered]:
            store.add_unit(u, now_iso())
        for u in units:
            b = factory.seal(u, period)
            submit(store, load_all(home), b.body, source="import")
            out[u] = b
    return out


def sheet_of(visit: Mapping[str, Any]) -> dict[str, Any]:
    """A ``--from`` score sheet equal to a township's wire visit."""
    return {
        "scores": {str(it["n"]): it["score"] for it in visit["items"]},
        "notes": {},
        "bonus": [
            {"item": b["item"], "points": b["points"], "matter": b["matter"], "level": b["level"]}
            for b in visit["bonus"]
        ],
        "veto": list(visit["veto"]),
    }


def failing_sheet(campaign: Campaign, visit: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The visit with its biggest full-marks items set to 0 until the total is below the pass
    mark; returns the sheet and the items lowered."""
    sheet = sheet_of(visit)
    total = float(visit["total"])
    lowered: list[int] = []
    for it in sorted(campaign.items, key=lambda i: (-i.max, i.number)):
        if total < campaign.pass_mark:
            break
        if sheet["scores"][str(it.number)]:
            sheet["scores"][str(it.number)] = 0
            total -= it.max
            lowered.append(it.number)
    return sheet, sorted(lowered)

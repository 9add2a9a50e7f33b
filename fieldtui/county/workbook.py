"""The county's re-scoring workbook: where a county officer scores a sampled station.

The county re-scores with the very scoring screen, engine and repositories the townships use. So
the drafts live in a township-format store of the county's own (``<county home>/rescore/``,
migrated by ``fieldtui.store`` like any township's): each sampled station appears there once, as
``<township>·<station>``, and each county visit is an ordinary assessment with its audit trail,
locking on completion and revisions with a reason. The screen needs nothing county-specific.

A *completed* county visit is then **collected** into the county database (``rescores``, append-
only): linked to the township's station and to the draw it was opened from (else the newest draw
made before the visit was completed), checked against
the township batch's rubric hash, and scored by the one engine. Collecting is idempotent (the
workbook assessment id is UNIQUE in ``rescores``) and runs whenever the county app, the CLI or the
server look at re-scores, so a visit completed just before a crash is collected next time.
A completed revision supersedes the re-score it corrects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldtui.county import reviews
from fieldtui.county.store import CountyStore
from fieldtui.domain.batch import parse_batch
from fieldtui.domain.review import ReviewError
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import compute

if TYPE_CHECKING:
    from fieldtui.store.store import Store

WORKBOOK_DIR = "rescore"
SEP = "·"


def open_workbook(home: Path) -> Store:
    from fieldtui.store.store import open_store

    return open_store(home / WORKBOOK_DIR)


def workbook_name(unit: str, name: str) -> str:
    return f"{unit}{SEP}{name}"


def mapping(county: CountyStore) -> dict[int, tuple[str, int, int | None]]:
    """Workbook station id -> (township, township station id, the draw it was last opened from)."""
    rows = county.conn.execute(
        "SELECT local_id, unit, station_id, sample_id FROM workbook_stations"
    )
    return {r["local_id"]: (r["unit"], r["station_id"], r["sample_id"]) for r in rows}


def check_rubric(county: CountyStore, campaign: Campaign, entry: reviews.Entry) -> None:
    """The county re-scores under the very rubric the township scored with, or not at all."""
    theirs = reviews.batch_rubric_hash(county, entry.batch_id)
    if theirs != campaign.rubric_hash:
        raise ReviewError(
            f"{entry.unit} {entry.name}: the township scored under rubric {theirs[:12]}, the "
            f"county's campaign {campaign.id} is {campaign.rubric_hash[:12]}; re-scoring refused"
        )


def ensure_station(county: CountyStore, book: Store, entry: reviews.Entry) -> int:
    """The workbook station of a sampled station (created on first use)."""
    from fieldtui.domain.ledger import StationInput

    row = county.conn.execute(
        "SELECT local_id FROM workbook_stations WHERE unit = ? AND station_id = ?",
        (entry.unit, entry.station_id),
    ).fetchone()
    name = workbook_name(entry.unit, entry.name)
    existing = book.stations.by_name(name)
    if row is not None and book.stations.get(row["local_id"]) is not None:
        local = int(row["local_id"])
    elif existing is not None:  # written before a crash, or renamed: reuse it
        local = existing.id
    else:
        data = _station_data(county, entry)
        local = book.stations.add(
            StationInput(
                name=name,
                village=str(data.get("village", "")),
                head=str(data.get("head", "")),
                head_role=str(data.get("head_role", "")),
                contact=str(data.get("contact", "")),
                phone=str(data.get("phone", "")),
                people_served=data.get("people_served"),
                veterans=data.get("veterans"),
                notes=f"{entry.unit} #{entry.station_id}",
            )
        )
    # Remember which draw it is re-scored for: the visit completed next is linked to it.
    with county._tx() as c:
        c.execute(
            "INSERT OR REPLACE INTO workbook_stations(local_id, unit, station_id, sample_id) "
            "VALUES (?,?,?,?)",
            (local, entry.unit, entry.station_id, entry.sample_id),
        )
    return local


def _station_data(county: CountyStore, entry: reviews.Entry) -> dict[str, Any]:
    body = county.body(entry.batch_id)
    if body is None:
        return {}
    obj = parse_batch(body)
    st: dict[str, Any] = next((s for s in obj["stations"] if s["id"] == entry.station_id), {})
    return st


@dataclass(frozen=True, slots=True)
class Collected:
    recorded: list[reviews.Rescore]
    problems: list[str]


def _entry_of(
    county: CountyStore, sample_id: int | None, unit: str, station_id: int
) -> reviews.Entry | None:
    if sample_id is None:
        return None
    r = county.conn.execute(
        "SELECT * FROM sample_stations WHERE sample_id = ? AND unit = ? AND station_id = ?",
        (sample_id, unit, station_id),
    ).fetchone()
    if r is None:
        return None
    return reviews.Entry(r["sample_id"], r["position"], r["unit"], r["batch_id"],
                         r["station_id"], r["name"], r["visit_id"], r["total"])  # fmt: skip


def _entry_for(
    county: CountyStore, campaign_id: str, unit: str, station_id: int, completed: str
) -> reviews.Entry | None:
    """The draw a county visit belongs to: the newest that sampled the station before the visit
    was completed (else the newest at all, for a clock that ran behind)."""
    rows = county.conn.execute(
        "SELECT e.*, s.drawn_at FROM sample_stations e JOIN samples s ON s.id = e.sample_id "
        "WHERE s.campaign_id = ? AND e.unit = ? AND e.station_id = ? ORDER BY e.sample_id DESC",
        (campaign_id, unit, station_id),
    ).fetchall()
    if not rows:
        return None
    r = next((x for x in rows if x["drawn_at"] <= completed), rows[0])
    return reviews.Entry(r["sample_id"], r["position"], r["unit"], r["batch_id"],
                         r["station_id"], r["name"], r["visit_id"], r["total"])  # fmt: skip


def collect(
    county: CountyStore, book: Store, campaigns: Mapping[str, Campaign], now: str
) -> Collected:
    """Record every completed, not yet recorded county visit of the workbook."""
    links = mapping(county)
    recorded: list[reviews.Rescore] = []
    problems: list[str] = []
    for campaign in campaigns.values():
        for a in book.assessments.for_campaign(campaign.id):  # ascending ids: originals first
            if not a.complete or a.station_id not in links:
                continue
            if reviews.rescore_by_workbook(county, a.id) is not None:
                continue
            unit, sid, opened_for = links[a.station_id]
            prev = reviews.rescore_by_workbook(county, a.revises) if a.revises else None
            entry = _entry_of(county, opened_for, unit, sid) or _entry_for(
                county, campaign.id, unit, sid, a.completed
            )
            if prev is not None:
                sample_id, batch_id, visit_id = prev.sample_id, prev.batch_id, prev.visit_id
            elif entry is not None:
                sample_id, batch_id, visit_id = entry.sample_id, entry.batch_id, entry.visit_id
            else:
                problems.append(f"{unit} #{sid}: county visit {a.id} matches no sampled station")
                continue
            try:
                theirs = reviews.batch_rubric_hash(county, batch_id)
            except ReviewError as exc:
                problems.append(str(exc))
                continue
            if a.rubric_hash != theirs:
                problems.append(
                    f"{unit} #{sid}: county visit {a.id} was scored under another rubric than "
                    "the township's batch; not recorded"
                )
                continue
            r = compute(campaign, a.sheet())
            with county._tx() as c:
                c.execute(
                    "INSERT INTO rescores(sample_id, unit, batch_id, station_id, visit_id, "
                    "campaign_id, rubric_hash, date, reviewer, sheet, base, bonus, total, "
                    "passed, workbook_id, supersedes, recorded_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (sample_id, unit, batch_id, sid, visit_id, campaign.id, a.rubric_hash,
                     a.date.isoformat(), a.assessor, reviews.sheet_json(a.sheet(), a.notes),
                     r.base, r.bonus, r.total, int(r.passed), a.id,
                     prev.id if prev is not None else None, now),
                )  # fmt: skip
            got = reviews.rescore_by_workbook(county, a.id)
            assert got is not None
            recorded.append(got)
    return Collected(recorded, problems)


def today_china() -> dt.date:
    from fieldtui.domain.progress import china_now

    return china_now().date()

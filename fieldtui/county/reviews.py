"""The county's review of the townships' batches: spot-check draws, re-scores, verdicts, and the
review document each township may read about its own batches.

Everything here is append-only in the county database (see the triggers of migration 2 in
``store``): a new draw, re-score or verdict is added; nothing is edited. The rules themselves are
pure and live in ``fieldtui.domain.sampling`` and ``fieldtui.domain.review``.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fieldtui.county.report import newest
from fieldtui.county.store import CountyStore, StoredBatch
from fieldtui.domain import sampling
from fieldtui.domain.batch import canonical, parse_batch
from fieldtui.domain.review import (
    PENDING,
    REVIEW_SCHEMA,
    REVIEW_SCHEMA_ID,
    Comparison,
    ReviewError,
    VerdictInput,
    compare_visit,
    differences_wire,
    sign_reviews_file,
)
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import BonusEntry, Sheet


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


# -- the batches a review is about -------------------------------------------------------------


def period_batches(store: CountyStore, campaign: Campaign, period: str) -> dict[str, StoredBatch]:
    """Each township's newest batch for ``period`` (the one the county works from)."""
    by_unit: dict[str, list[StoredBatch]] = {}
    for b in store.batches(campaign.id):
        if b.period == period:
            by_unit.setdefault(b.unit, []).append(b)
    return {u: newest(g) for u, g in sorted(by_unit.items())}


def superseded_by(store: CountyStore, batch: StoredBatch) -> str | None:
    """The township's newest batch of the same period, if it is not ``batch``."""
    group = [
        b
        for b in store.batches(batch.campaign_id)
        if b.unit == batch.unit and b.period == batch.period
    ]
    cur = newest(group)
    return None if cur.batch_id == batch.batch_id else cur.batch_id


def _population(store: CountyStore, unit: str, batch_id: str) -> sampling.Population:
    rows = store.stations_of(batch_id)
    return sampling.Population(
        unit,
        batch_id,
        tuple(
            sampling.Candidate(r["station_id"], r["name"], r["visit_id"], r["total"])
            for r in rows
            if r["passed"]
        ),
    )


def populations(store: CountyStore, campaign: Campaign, period: str) -> list[sampling.Population]:
    """Per township, the stations its newest batch for ``period`` reported as passed."""
    return [_population(store, u, b.batch_id) for u, b in period_batches(store, campaign, period).items()]  # fmt: skip


# -- spot-check draws --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleRow:
    id: int
    campaign_id: str
    period: str
    seed: str
    algorithm: str
    record: dict[str, Any]
    reviewer: str
    drawn_at: str


def _sample(row: sqlite3.Row) -> SampleRow:
    return SampleRow(
        row["id"],
        row["campaign_id"],
        row["period"],
        row["seed"],
        row["algorithm"],
        json.loads(row["record"]),
        row["reviewer"],
        row["drawn_at"],
    )


def draw_sample(
    store: CountyStore,
    campaign: Campaign,
    period: str,
    params: sampling.Parameters,
    seed: str,
    reviewer: str,
    now: str,
) -> SampleRow:
    """Draw, and store the seed, parameters, population and result in one transaction."""
    if campaign.period(period) is None:
        labels = ", ".join(p.label for p in campaign.periods)
        raise ReviewError(f"--quarter: no period {period!r} (periods: {labels})")
    for unit in params.per_unit:
        if not store.has_unit(unit) and unit not in period_batches(store, campaign, period):
            raise ReviewError(f"--unit-share/--unit-count: {unit} is not a known township")
    pops = populations(store, campaign, period)
    if not pops:
        raise ReviewError(f"{period}: no township has sent a batch for this period yet")
    drawn = sampling.draw(seed, pops, params)
    rec = sampling.record(seed, params, drawn)
    with store._tx() as c:
        cur = c.execute(
            "INSERT INTO samples(campaign_id, period, seed, algorithm, record, reviewer, drawn_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (campaign.id, period, rec["seed"], sampling.ALGORITHM,
             canonical(rec).decode("utf-8"), reviewer, now),
        )  # fmt: skip
        sid = int(cur.lastrowid or 0)
        rows = []
        for d in drawn:
            for pos, st in enumerate(d.stations):
                rows.append(
                    (sid, pos, d.unit, d.batch_id, st.station_id, st.name, st.visit_id, st.total)
                )
        c.executemany(
            "INSERT INTO sample_stations(sample_id, position, unit, batch_id, station_id, name, "
            "visit_id, total) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
    got = sample(store, sid)
    assert got is not None
    return got


def sample(store: CountyStore, sample_id: int) -> SampleRow | None:
    row = store.conn.execute("SELECT * FROM samples WHERE id = ?", (sample_id,)).fetchone()
    return None if row is None else _sample(row)


def samples(store: CountyStore, campaign_id: str, period: str | None = None) -> list[SampleRow]:
    if period is None:
        rows = store.conn.execute(
            "SELECT * FROM samples WHERE campaign_id = ? ORDER BY id", (campaign_id,)
        )
    else:
        rows = store.conn.execute(
            "SELECT * FROM samples WHERE campaign_id = ? AND period = ? ORDER BY id",
            (campaign_id, period),
        )
    return [_sample(r) for r in rows]


def latest_sample(store: CountyStore, campaign_id: str, period: str | None) -> SampleRow | None:
    rows = samples(store, campaign_id, period)
    return rows[-1] if rows else None


@dataclass(frozen=True, slots=True)
class Entry:
    """One sampled station."""

    sample_id: int
    position: int
    unit: str
    batch_id: str
    station_id: int
    name: str
    visit_id: int | None
    total: float | None


def entries(store: CountyStore, sample_id: int) -> list[Entry]:
    rows = store.conn.execute(
        "SELECT * FROM sample_stations WHERE sample_id = ? ORDER BY unit, position", (sample_id,)
    )
    return [
        Entry(r["sample_id"], r["position"], r["unit"], r["batch_id"], r["station_id"],
              r["name"], r["visit_id"], r["total"])
        for r in rows
    ]  # fmt: skip


def find_entry(
    store: CountyStore, campaign_id: str, unit: str, station: str, period: str | None = None
) -> Entry:
    """The newest sampled entry of ``unit``'s station (id or exact name), optionally in a period."""
    sql = (
        "SELECT e.* FROM sample_stations e JOIN samples s ON s.id = e.sample_id "
        "WHERE s.campaign_id = ? AND e.unit = ?"
    )
    params: list[Any] = [campaign_id, unit]
    if period is not None:
        sql += " AND s.period = ?"
        params.append(period)
    rows = store.conn.execute(sql + " ORDER BY e.sample_id DESC", params).fetchall()
    text = station.strip()
    for r in rows:
        if r["name"] == text or (text.isdigit() and r["station_id"] == int(text)):
            return Entry(r["sample_id"], r["position"], r["unit"], r["batch_id"],
                         r["station_id"], r["name"], r["visit_id"], r["total"])  # fmt: skip
    where = f" in {period}" if period else ""
    raise ReviewError(f"{unit} {text}: not a sampled station{where} (draw with county sample)")


def verify_sample(store: CountyStore, sample_id: int) -> list[str]:
    """Derive a stored draw again from its seed over the same batches; [] if it reproduces."""
    s = sample(store, sample_id)
    if s is None:
        raise ReviewError(f"no sample {sample_id}")
    pops = [
        _population(store, unit, info["batch_id"])
        for unit, info in s.record.get("population", {}).items()
    ]
    problems = sampling.verify(s.record, pops)
    stored = {(e.unit, e.station_id) for e in entries(store, sample_id)}
    recorded = {(unit, sid) for unit, res in s.record["result"].items() for sid in res["stations"]}
    if stored != recorded:
        problems.append("the stored work list differs from the stored result")
    return problems


# -- re-scores ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rescore:
    id: int
    sample_id: int
    unit: str
    batch_id: str
    station_id: int
    visit_id: int | None
    campaign_id: str
    rubric_hash: str
    date: str
    reviewer: str
    sheet: Sheet
    notes: dict[int, str]
    base: float
    bonus: float
    total: float
    passed: bool
    workbook_id: int
    supersedes: int | None
    recorded_at: str


def _rescore(row: sqlite3.Row) -> Rescore:
    sheet = json.loads(row["sheet"])
    return Rescore(
        id=row["id"],
        sample_id=row["sample_id"],
        unit=row["unit"],
        batch_id=row["batch_id"],
        station_id=row["station_id"],
        visit_id=row["visit_id"],
        campaign_id=row["campaign_id"],
        rubric_hash=row["rubric_hash"],
        date=row["date"],
        reviewer=row["reviewer"],
        sheet=Sheet(
            scores={int(k): float(v) for k, v in sheet["scores"].items()},
            bonus=tuple(
                BonusEntry(b["item"], float(b["points"]), b["matter"], b["level"])
                for b in sheet["bonus"]
            ),
            veto=frozenset(sheet["veto"]),
        ),
        notes={int(k): v for k, v in sheet["notes"].items()},
        base=row["base"],
        bonus=row["bonus"],
        total=row["total"],
        passed=bool(row["passed"]),
        workbook_id=row["workbook_id"],
        supersedes=row["supersedes"],
        recorded_at=row["recorded_at"],
    )


def sheet_json(sheet: Sheet, notes: Mapping[int, str]) -> str:
    return canonical(
        {
            "scores": {str(k): _num(v) for k, v in sorted(sheet.scores.items())},
            "notes": {str(k): v for k, v in sorted(notes.items()) if v},
            "bonus": [
                {"item": b.item, "points": _num(b.points), "matter": b.matter, "level": b.level}
                for b in sheet.bonus
            ],
            "veto": sorted(sheet.veto),
        }
    ).decode("utf-8")


def rescore_by_workbook(store: CountyStore, workbook_id: int) -> Rescore | None:
    row = store.conn.execute(
        "SELECT * FROM rescores WHERE workbook_id = ?", (workbook_id,)
    ).fetchone()
    return None if row is None else _rescore(row)


def rescore(store: CountyStore, rescore_id: int) -> Rescore | None:
    row = store.conn.execute("SELECT * FROM rescores WHERE id = ?", (rescore_id,)).fetchone()
    return None if row is None else _rescore(row)


def current_rescores(
    store: CountyStore, sample_id: int | None = None
) -> dict[tuple[int, str, int], Rescore]:
    """The re-scores in force: (sample id, unit, station id) -> the newest not superseded."""
    if sample_id is None:
        rows = store.conn.execute("SELECT * FROM rescores ORDER BY id").fetchall()
    else:
        rows = store.conn.execute(
            "SELECT * FROM rescores WHERE sample_id = ? ORDER BY id", (sample_id,)
        ).fetchall()
    every = [_rescore(r) for r in rows]
    superseded = {r.supersedes for r in every if r.supersedes is not None}
    return {(r.sample_id, r.unit, r.station_id): r for r in every if r.id not in superseded}


@functools.lru_cache(maxsize=256)
def _counting_visits(path: str, batch_id: str, body: bytes) -> dict[int, dict[str, Any]]:
    """Station id -> counting visit of a stored batch (received batches never change)."""
    obj = parse_batch(body)
    visits = {v["id"]: v for v in obj["visits"]}
    return {s["id"]: visits[s["visit_id"]] for s in obj["stations"] if s["visit_id"] is not None}


def township_visit(store: CountyStore, batch_id: str, station_id: int) -> dict[str, Any] | None:
    """The counting visit the township's batch reported for ``station_id``."""
    body = store.body(batch_id)
    if body is None:
        return None
    return _counting_visits(str(store.path), batch_id, body).get(station_id)


def batch_rubric_hash(store: CountyStore, batch_id: str) -> str:
    body = store.body(batch_id)
    if body is None:
        raise ReviewError(f"no batch {batch_id}")
    return str(parse_batch(body)["rubric_hash"])


def comparison(store: CountyStore, campaign: Campaign, r: Rescore) -> Comparison | None:
    visit = township_visit(store, r.batch_id, r.station_id)
    if visit is None:
        return None
    return compare_visit(campaign, visit, r.sheet)


# -- verdicts ----------------------------------------------------------------------------------


def _verdict_wire(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "verdict": row["verdict"],
        "reason": row["reason"],
        "stations": json.loads(row["stations"]),
        "reviewer": row["reviewer"],
        "decided_at": row["decided_at"],
        "supersedes": row["supersedes"],
    }


def verdicts(store: CountyStore, batch_id: str) -> list[dict[str, Any]]:
    """Every verdict given on a batch, oldest first (the last is in force)."""
    rows = store.conn.execute(
        "SELECT * FROM verdicts WHERE batch_id = ? ORDER BY id", (batch_id,)
    ).fetchall()
    return [_verdict_wire(r) for r in rows]


def batch_station_names(store: CountyStore, batch_id: str) -> dict[int, str]:
    return {r["station_id"]: r["name"] for r in store.stations_of(batch_id)}


def add_verdict(
    store: CountyStore, batch: StoredBatch, verdict: VerdictInput, now: str
) -> dict[str, Any]:
    """Record a verdict on the township's newest batch; it supersedes the one before."""
    newer = superseded_by(store, batch)
    if newer is not None:
        raise ReviewError(
            f"batch {batch.batch_id} of {batch.unit} {batch.period} is superseded by {newer}: "
            "give the verdict on the newest batch"
        )
    stations = [{"id": sid, "name": name} for sid, name in verdict.stations]
    with store._tx() as c:
        prev = c.execute(
            "SELECT id FROM verdicts WHERE batch_id = ? ORDER BY id DESC LIMIT 1",
            (batch.batch_id,),
        ).fetchone()
        cur = c.execute(
            "INSERT INTO verdicts(batch_id, unit, campaign_id, period, verdict, reason, stations,"
            " reviewer, decided_at, supersedes) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (batch.batch_id, batch.unit, batch.campaign_id, batch.period, verdict.verdict,
             verdict.reason, canonical(stations).decode("utf-8"), verdict.reviewer, now,
             prev["id"] if prev else None),
        )  # fmt: skip
        vid = int(cur.lastrowid or 0)
    row = store.conn.execute("SELECT * FROM verdicts WHERE id = ?", (vid,)).fetchone()
    return _verdict_wire(row)


def verdict_status(store: CountyStore, batch_id: str) -> str:
    vs = verdicts(store, batch_id)
    return vs[-1]["verdict"] if vs else PENDING


# -- the review document -----------------------------------------------------------------------


def spot_checks(
    store: CountyStore, campaigns: Mapping[str, Campaign], batch: StoredBatch
) -> list[dict[str, Any]]:
    """The spot-check results for the stations sampled from ``batch`` (newest draw first)."""
    rows = store.conn.execute(
        "SELECT e.*, s.drawn_at FROM sample_stations e JOIN samples s ON s.id = e.sample_id "
        "WHERE e.batch_id = ? ORDER BY e.sample_id DESC, e.position",
        (batch.batch_id,),
    ).fetchall()
    campaign = campaigns.get(batch.campaign_id)
    in_force = current_rescores(store)
    out = []
    for e in rows:
        r = in_force.get((e["sample_id"], e["unit"], e["station_id"]))
        visit = township_visit(store, batch.batch_id, e["station_id"])
        county: dict[str, Any] | None = None
        changed: bool | None = None
        diffs: list[dict[str, Any]] = []
        if r is not None:
            county = {
                "id": r.id,
                "date": r.date,
                "reviewer": r.reviewer,
                "base": _num(r.base),
                "bonus": _num(r.bonus),
                "total": _num(r.total),
                "veto": sorted(r.sheet.veto),
                "passed": r.passed,
                "recorded_at": r.recorded_at,
            }
            if visit is not None and campaign is not None:
                comp = compare_visit(campaign, visit, r.sheet)
                changed = comp.verdict_changed
                diffs = differences_wire(comp, r.notes)
        out.append(
            {
                "sample_id": e["sample_id"],
                "drawn_at": e["drawn_at"],
                "station_id": e["station_id"],
                "name": e["name"],
                "visit_id": e["visit_id"],
                "township_total": None if visit is None else visit["total"],
                "township_passed": None if visit is None else visit["passed"],
                "county": county,
                "verdict_changed": changed,
                "differences": diffs,
            }
        )
    return out


def review_document(
    store: CountyStore, campaigns: Mapping[str, Campaign], batch: StoredBatch, now: str
) -> dict[str, Any]:
    """What the township may read about its own ``batch`` (``fieldtui.review/1``)."""
    history = verdicts(store, batch.batch_id)
    doc = {
        "schema": REVIEW_SCHEMA_ID,
        "batch_id": batch.batch_id,
        "unit": batch.unit,
        "campaign_id": batch.campaign_id,
        "period": batch.period,
        "received_at": batch.received_at,
        "superseded_by": superseded_by(store, batch),
        "status": history[-1]["verdict"] if history else PENDING,
        "verdict": history[-1] if history else None,
        "history": history,
        "spot_checks": spot_checks(store, campaigns, batch),
        "generated_at": now,
    }
    REVIEW_SCHEMA.validate(doc)
    return doc


def reviews_file(
    store: CountyStore, campaigns: Mapping[str, Campaign], unit: str, now: str
) -> dict[str, Any]:
    """Every batch of ``unit`` with its review, signed for the unit's active tokens."""
    batches = [b for b in store.batches() if b.unit == unit]
    if not batches:
        raise ReviewError(f"{unit}: no batch of this township has been received")
    docs = [review_document(store, campaigns, b, now) for b in batches]
    keys = [(t.id, t.hash) for t in store.active_tokens() if t.unit == unit]
    return sign_reviews_file(unit, now, docs, keys)


def units_with_batches(store: CountyStore) -> list[str]:
    return sorted({b.unit for b in store.batches()})


def last_verdicts(store: CountyStore, batch_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for bid in batch_ids:
        vs = verdicts(store, bid)
        if vs:
            out[bid] = vs[-1]
    return out

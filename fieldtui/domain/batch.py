"""The quarterly batch: the township's full state at a period's end, as one versioned wire format.

Both sides use this module: the township builds and seals a batch (``build_payload``,
``canonical``), the county validates it (``parse_batch``, ``check_batch``), and the served OpenAPI
description embeds ``BATCH_SCHEMA.json_schema()``.

A batch holds every station in scope at the period's last day with its counting visit (the latest
complete visit on or before that day, revisions applied), every visit made in the period, the
progress summary, the unit, the campaign id and the rubric hash. Sealing writes canonical JSON
(sorted keys, UTF-8, compact, no NaN) and its SHA-256. The *content hash* leaves out the batch id,
seal time and predecessor, so sealing twice with no change can be recognised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fieldtui.domain.assessment import Assessment
from fieldtui.domain.errors import Refusal
from fieldtui.domain.ledger import Station
from fieldtui.domain.progress import (
    StationRef,
    counting_visits,
    effective_visits,
    month_end,
    period_progress,
)
from fieldtui.domain.rubric import Campaign, Period
from fieldtui.domain.schema import (
    NOT_UNICODE,
    Arr,
    Bool,
    Date,
    DateTime,
    Enum,
    Int,
    Num,
    Obj,
    SchemaError,
    Str,
    surrogate_path,
)
from fieldtui.domain.scoring import (
    BonusEntry,
    ScoreError,
    Sheet,
    check_bonus,
    check_score,
    check_veto,
    compute,
)

SCHEMA_ID = "fieldtui.batch/1"
MAX_STATIONS = 5000
MAX_VISITS = 20000
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
HEX64 = r"[0-9a-f]{64}"
# Fields left out of the content hash: they differ between two seals of the same content.
SEAL_FIELDS = ("batch_id", "sealed_at", "supersedes", "content_hash")


class BatchError(Refusal):
    """A batch that is well-formed JSON but wrong: totals that disagree, a rubric mismatch..."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


# ---------------------------------------------------------------------------------------------
# The wire schema

_TEXT = Str(max_len=200)
_LONG = Str(max_len=1000)
_ITEM = Obj(
    title="ItemScore",
    fields={"n": Int(1, 200), "score": Num(0, 100), "note": _LONG},
)
_BONUS = Obj(
    title="BonusEntry",
    fields={"item": Int(1, 300), "points": Num(0, 100), "matter": Str(500, 1), "level": Str(40)},
)
_VISIT = Obj(
    title="Visit",
    fields={
        "id": Int(1),
        "station_id": Int(1),
        "date": Date(),
        "assessor": _TEXT,
        "revises": Int(1, nullable=True),
        "reason": _LONG,
        "completed": DateTime(),
        "items": Arr(_ITEM, max_items=200, min_items=1),
        "bonus": Arr(_BONUS, max_items=50),
        "veto": Arr(Int(1, 20), max_items=20, unique=True),
        "subtotals": Arr(Num(0, 1000), max_items=50, min_items=1),
        "base": Num(0, 1000),
        "bonus_points": Num(0, 1000),
        "total": Num(0, 2000),
        "vetoed": Bool(),
        "passed": Bool(),
    },
)
_STATION = Obj(
    title="Station",
    fields={
        "id": Int(1),
        "name": Str(60, 1),
        "village": Str(60),
        "head": Str(30),
        "head_role": Enum(("secretary", "director", "both", "other", "")),
        "contact": Str(30),
        "phone": Str(30),
        "people_served": Int(0, 100000, nullable=True),
        "veterans": Int(0, 100000, nullable=True),
        "archived": Date(nullable=True),
        "planned_month": Str(7, pattern=r"\d{4}-\d{2}", nullable=True),
        "visit_id": Int(1, nullable=True),
    },
)
_PERIOD = Obj(
    title="Period",
    fields={
        "label": Str(20, 1),
        "first": Date(),
        "last": Date(),
        "due": DateTime(),
        "target": Num(0, 1),
    },
)
_PROGRESS = Obj(
    title="Progress",
    fields={
        "stations": Int(0, MAX_STATIONS),
        "assessed": Int(0, MAX_STATIONS),
        "passed": Int(0, MAX_STATIONS),
        "rate": Num(0, 1, nullable=True),
        "target": Num(0, 1),
        "needed": Int(0, MAX_STATIONS),
        "met": Bool(),
        "planned": Int(0, MAX_STATIONS),
        "planned_share": Num(0, 1, nullable=True),
        "visits_in_period": Int(0, MAX_VISITS),
    },
)
BATCH_SCHEMA = Obj(
    title="Batch",
    fields={
        "schema": Enum((SCHEMA_ID,)),
        "batch_id": Str(36, 36, pattern=UUID_RE),
        "sealed_at": DateTime(),
        "supersedes": Str(36, 36, pattern=UUID_RE, nullable=True),
        "content_hash": Str(64, 64, pattern=HEX64),
        "unit": Str(60, 1),
        "officer": Str(30),
        "campaign_id": Str(60, 1),
        "rubric_hash": Str(64, 64, pattern=HEX64),
        "period": _PERIOD,
        "stations": Arr(_STATION, max_items=MAX_STATIONS),
        "visits": Arr(_VISIT, max_items=MAX_VISITS),
        "period_visit_ids": Arr(Int(1), max_items=MAX_VISITS, unique=True),
        "progress": _PROGRESS,
    },
)


# ---------------------------------------------------------------------------------------------
# Canonical bytes and hashes


def num(x: float | int) -> float | int:
    """Numbers as they go on the wire: integral values as ints (1, not 1.0)."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, UTF-8 (not escaped), compact, NaN refused."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(payload: Mapping[str, Any]) -> str:
    return sha256_hex(canonical({k: v for k, v in payload.items() if k not in SEAL_FIELDS}))


# ---------------------------------------------------------------------------------------------
# Building (township side)


def _visit(campaign: Campaign, a: Assessment) -> dict[str, Any]:
    r = compute(campaign, a.sheet())
    return {
        "id": a.id,
        "station_id": a.station_id,
        "date": a.date.isoformat(),
        "assessor": a.assessor,
        "revises": a.revises,
        "reason": a.reason,
        "completed": a.completed,
        "items": [
            {"n": it.number, "score": num(a.scores[it.number]), "note": a.notes.get(it.number, "")}
            for it in campaign.items
        ],
        "bonus": [
            {"item": e.item, "points": num(e.points), "matter": e.matter, "level": e.level}
            for e in a.bonus
        ],
        "veto": sorted(a.veto),
        "subtotals": [num(s) for s in r.subtotals],
        "base": num(r.base),
        "bonus_points": num(r.bonus),
        "total": num(r.total),
        "vetoed": r.veto,
        "passed": r.passed,
    }


def build_content(
    campaign: Campaign,
    period: Period,
    unit: str,
    officer: str,
    stations: Sequence[Station],
    assessments: Iterable[Assessment],
    plan: Mapping[int, str],
) -> dict[str, Any]:
    """The batch without its seal (id, time, predecessor, content hash)."""
    day = period.last
    scope = sorted(
        (s for s in stations if s.archived is None or s.archived > day), key=lambda s: s.id
    )
    ids = {s.id for s in scope}
    mine = [a for a in assessments if a.station_id in ids and a.campaign_id == campaign.id]
    by_id = {a.id: a for a in mine}
    refs = [a.visit_ref(campaign) for a in mine]
    counting = counting_visits(refs, day)
    in_period = sorted(
        (v for v in effective_visits(refs) if period.contains(v.date)),
        key=lambda v: (v.date, v.id),
    )
    wanted = {v.id for v in counting.values()} | {v.id for v in in_period}
    prog = period_progress(
        campaign, period, [StationRef(s.id, s.archived) for s in scope], refs, plan
    )
    return {
        "schema": SCHEMA_ID,
        "unit": unit,
        "officer": officer,
        "campaign_id": campaign.id,
        "rubric_hash": campaign.rubric_hash,
        "period": {
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "due": period.due.isoformat(),
            "target": num(period.target),
        },
        "stations": [
            {
                "id": s.id,
                "name": s.name,
                "village": s.village,
                "head": s.head,
                "head_role": s.head_role,
                "contact": s.contact,
                "phone": s.phone,
                "people_served": s.people_served,
                "veterans": s.veterans,
                "archived": s.archived.isoformat() if s.archived else None,
                "planned_month": plan.get(s.id),
                "visit_id": counting[s.id].id if s.id in counting else None,
            }
            for s in scope
        ],
        "visits": [_visit(campaign, by_id[i]) for i in sorted(wanted)],
        "period_visit_ids": [v.id for v in in_period],
        "progress": _progress_dict(prog),
    }


def _progress_dict(p: Any) -> dict[str, Any]:
    return {
        "stations": p.stations,
        "assessed": p.assessed,
        "passed": p.passed,
        "rate": p.rate,
        "target": num(p.target),
        "needed": p.needed,
        "met": p.met,
        "planned": p.planned,
        "planned_share": p.planned_share,
        "visits_in_period": p.visits_in_period,
    }


def seal_payload(
    content: Mapping[str, Any], batch_id: str, sealed_at: dt.datetime, supersedes: str | None
) -> dict[str, Any]:
    """Add the seal to built content. The caller stores ``canonical(result)`` and its SHA-256."""
    payload = dict(content)
    payload["content_hash"] = content_hash(content)
    payload["batch_id"] = batch_id
    payload["sealed_at"] = sealed_at.isoformat(timespec="seconds")
    payload["supersedes"] = supersedes
    return payload


# ---------------------------------------------------------------------------------------------
# Checking (county side, and the township before it sends)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# A JSON escape of a UTF-16 surrogate (``\ud800``..``\udfff``); only a body holding one can
# hold an unpaired surrogate (UTF-8 itself cannot encode them), so only such a body is walked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_batch(body: bytes) -> dict[str, Any]:
    """Strict JSON parse of a batch body: UTF-8, an object, no NaN/Infinity, no duplicate keys,
    no unpaired surrogate escape in any string or field name (text that is not Unicode: it could
    be neither hashed, stored nor shown)."""

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    try:
        text = body.decode("utf-8")
        obj = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=no_dupes)
    except UnicodeDecodeError:
        raise SchemaError("$", "the body is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise SchemaError("$", f"not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(obj, dict):
        raise SchemaError("$", "must be a JSON object")
    if _SURROGATE_ESCAPE.search(body):
        where = surrogate_path(obj)
        if where is not None:
            raise SchemaError(where, NOT_UNICODE)
    return obj


@dataclass(frozen=True, slots=True)
class BatchSummary:
    batch_id: str
    unit: str
    campaign_id: str
    period: str
    supersedes: str | None
    content_hash: str
    sealed_at: str
    stations: int
    passed: int
    rate: float | None


def _station_label(st: Mapping[str, Any] | None, visit_id: int) -> str:
    if st is None:
        return f"visit {visit_id}"
    return f"station {st['name']} (id {st['id']})"


def check_batch(obj: Mapping[str, Any], campaign: Campaign) -> BatchSummary:
    """Validate a parsed batch completely; raises SchemaError or BatchError naming the place.

    Recomputes every visit's totals with the one scoring function and refuses a disagreement,
    naming the station and the item or category.
    """
    BATCH_SCHEMA.validate(obj)
    if obj["supersedes"] == obj["batch_id"]:
        # It would never be "newest": the batch it supersedes (itself) is out.
        raise BatchError("supersedes", "names the batch itself: a batch cannot supersede itself")
    if obj["campaign_id"] != campaign.id:
        raise BatchError("campaign_id", f"unknown campaign {obj['campaign_id']!r}")
    if obj["rubric_hash"] != campaign.rubric_hash:
        raise BatchError(
            "rubric_hash", "scored under a different rubric than the county's campaign file"
        )
    period = campaign.period(obj["period"]["label"])
    if period is None:
        raise BatchError("period.label", f"no period {obj['period']['label']!r} in the campaign")
    want_period = {
        "label": period.label,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "due": period.due.isoformat(),
        "target": num(period.target),
    }
    if dict(obj["period"]) != want_period:
        raise BatchError("period", f"does not match the campaign's period {period.label}")
    if content_hash(obj) != obj["content_hash"]:
        raise BatchError("content_hash", "does not match the batch content")

    stations: dict[int, Mapping[str, Any]] = {}
    names: set[str] = set()
    for i, st in enumerate(obj["stations"]):
        if st["id"] in stations:
            raise BatchError(f"stations[{i}].id", f"station id {st['id']} appears twice")
        if st["name"] in names:
            raise BatchError(f"stations[{i}].name", f"station {st['name']} appears twice")
        if st["archived"] is not None and st["archived"] <= period.last.isoformat():
            raise BatchError(f"stations[{i}].archived", "archived before the period ended")
        stations[st["id"]] = st
        names.add(st["name"])

    visits: dict[int, Mapping[str, Any]] = {}
    for i, v in enumerate(obj["visits"]):
        where = f"visits[{i}]"
        if v["id"] in visits:
            raise BatchError(f"{where}.id", f"visit id {v['id']} appears twice")
        st = stations.get(v["station_id"])
        label = _station_label(st, v["id"])
        if st is None:
            raise BatchError(
                f"{where}.station_id", f"visit {v['id']}: no such station in the batch"
            )
        if v["date"] > period.last.isoformat():
            raise BatchError(f"{where}.date", f"{label}: visit dated after the period")
        _check_visit(campaign, v, where, label)
        visits[v["id"]] = v

    for i, st in enumerate(obj["stations"]):
        vid = st["visit_id"]
        if vid is None:
            continue
        v = visits.get(vid)
        if v is None or v["station_id"] != st["id"]:
            raise BatchError(
                f"stations[{i}].visit_id", f"{_station_label(st, vid)}: no visit {vid}"
            )
        later = [
            w
            for w in visits.values()
            if w["station_id"] == st["id"] and (w["date"], w["id"]) > (v["date"], v["id"])
        ]
        if later:
            raise BatchError(
                f"stations[{i}].visit_id",
                f"{_station_label(st, vid)}: a later visit ({later[0]['id']}) should count",
            )
    for i, vid in enumerate(obj["period_visit_ids"]):
        v = visits.get(vid)
        if v is None:
            raise BatchError(f"period_visit_ids[{i}]", f"no visit {vid} in the batch")
        if not period.contains(dt.date.fromisoformat(v["date"])):
            raise BatchError(f"period_visit_ids[{i}]", f"visit {vid} is not in {period.label}")
    counted = {st["visit_id"] for st in obj["stations"] if st["visit_id"] is not None}
    listed = set(obj["period_visit_ids"])
    for vid in visits:
        if vid not in counted and vid not in listed:
            raise BatchError("visits", f"visit {vid} is neither counting nor in the period")

    _check_progress(obj, period, stations, visits)
    p = obj["progress"]
    return BatchSummary(
        batch_id=obj["batch_id"],
        unit=obj["unit"],
        campaign_id=obj["campaign_id"],
        period=period.label,
        supersedes=obj["supersedes"],
        content_hash=obj["content_hash"],
        sealed_at=obj["sealed_at"],
        stations=p["stations"],
        passed=p["passed"],
        rate=p["rate"],
    )


# How far a seal time may lie after the moment the county receives the batch: clocks drift and
# time zones get set wrong by hours, but a batch "sealed" days ahead would stay the township's
# newest over every later one.
SEAL_CLOCK_SLACK = dt.timedelta(hours=24)


def check_seal_time(sealed_at: str, received: dt.datetime) -> None:
    """Refuse a seal time more than :data:`SEAL_CLOCK_SLACK` after ``received`` (the county's
    receive or import time). An old seal time is fine: late batches are legitimate."""
    if seal_clock_wrong(sealed_at, received):
        raise BatchError(
            "sealed_at",
            f"sealed at {sealed_at}, more than 24 hours after the county received it "
            f"({received.isoformat(timespec='seconds')}): the township computer's clock looks "
            "wrong; set its date and time right, then seal the period again and send it",
        )


def seal_clock_wrong(sealed_at: str, now: dt.datetime) -> bool:
    """Whether a batch sealed at ``sealed_at`` lies more than :data:`SEAL_CLOCK_SLACK` ahead of
    ``now``: it was sealed under a wrong clock, and the county refuses it."""
    return dt.datetime.fromisoformat(sealed_at) - now > SEAL_CLOCK_SLACK


def visit_sheet(campaign: Campaign, v: Mapping[str, Any]) -> Sheet:
    """The score sheet of a wire visit, for re-scoring and display."""
    return Sheet(
        scores={it["n"]: float(it["score"]) for it in v["items"]},
        bonus=tuple(
            BonusEntry(b["item"], float(b["points"]), b["matter"], b["level"]) for b in v["bonus"]
        ),
        veto=frozenset(v["veto"]),
    )


def _check_visit(campaign: Campaign, v: Mapping[str, Any], where: str, label: str) -> None:
    numbers = [it["n"] for it in v["items"]]
    if numbers != [it.number for it in campaign.items]:
        raise BatchError(f"{where}.items", f"{label}: must list items 1..{len(campaign.items)}")
    for j, it in enumerate(v["items"]):
        try:
            check_score(campaign, it["n"], it["score"])
        except ScoreError as exc:
            raise BatchError(f"{where}.items[{j}].score", f"{label}: {exc}") from None
    for j, b in enumerate(v["bonus"]):
        try:
            check_bonus(campaign, BonusEntry(b["item"], b["points"], b["matter"], b["level"]))
        except ScoreError as exc:
            raise BatchError(f"{where}.bonus[{j}]", f"{label}: {exc}") from None
    try:
        check_veto(campaign, v["veto"])
    except ScoreError as exc:
        raise BatchError(f"{where}.veto", f"{label}: {exc}") from None
    r = compute(campaign, visit_sheet(campaign, v))
    if len(v["subtotals"]) != len(campaign.categories):
        raise BatchError(f"{where}.subtotals", f"{label}: one subtotal per category expected")
    for k, (got, want) in enumerate(zip(v["subtotals"], r.subtotals, strict=True)):
        if abs(got - want) > 1e-9:
            cat = campaign.categories[k]
            raise BatchError(
                f"{where}.subtotals[{k}]",
                f"{label}: category {cat.numeral} {cat.name} subtotal {got:g} "
                f"but its items sum to {want:g}",
            )
    for key, want in (("base", r.base), ("bonus_points", r.bonus), ("total", r.total)):
        if abs(v[key] - want) > 1e-9:
            raise BatchError(
                f"{where}.{key}", f"{label}: {key} {v[key]:g} but the rubric gives {want:g}"
            )
    if v["vetoed"] != r.veto or v["passed"] != r.passed:
        raise BatchError(
            f"{where}.passed", f"{label}: pass state disagrees with the rubric ({r.total:g} points)"
        )


def _check_progress(
    obj: Mapping[str, Any],
    period: Period,
    stations: Mapping[int, Mapping[str, Any]],
    visits: Mapping[int, Mapping[str, Any]],
) -> None:
    n = len(stations)
    assessed = sum(1 for st in stations.values() if st["visit_id"] is not None)
    passed = sum(
        1
        for st in stations.values()
        if st["visit_id"] is not None and visits[st["visit_id"]]["passed"]
    )
    planned = sum(
        1
        for st in stations.values()
        if st["planned_month"] is not None and month_end(st["planned_month"]) <= period.last
    )
    needed = period.needed(n)
    want = {
        "stations": n,
        "assessed": assessed,
        "passed": passed,
        "rate": passed / n if n else None,
        "target": num(period.target),
        "needed": needed,
        "met": passed >= needed,
        "planned": planned,
        "planned_share": planned / n if n else None,
        "visits_in_period": len(obj["period_visit_ids"]),
    }
    got = obj["progress"]
    for key, value in want.items():
        g = got[key]
        same = (g is None and value is None) or (
            g is not None and value is not None and abs(float(g) - float(value)) < 1e-9
        )
        if not same:
            raise BatchError(f"progress.{key}", f"{g!r} but the batch's stations give {value!r}")


# ---------------------------------------------------------------------------------------------
# The push protocol, shared by the client (fieldtui/sync) and the county server (fieldtui/county)

API_PATH = "/api/v1/batches"
RECEIPT_SCHEMA = Obj(
    title="Receipt",
    fields={
        "batch_id": Str(36, 36, pattern=UUID_RE),
        "digest": Str(64, 64, pattern=HEX64),
        "received_at": DateTime(),
        "unit": Str(60, 1),
        "campaign_id": Str(60, 1),
        "period": Str(20, 1),
        "supersedes": Str(36, 36, pattern=UUID_RE, nullable=True),
        "duplicate": Bool(),
    },
)
# Files of a batch (the scan of the stamped pages): PUT {FILES_PATH}/{name}, raw bytes.
FILES_PATH = API_PATH + "/{batch_id}/files"
FILE_NAME_MAX_BYTES = 120
FILE_RECEIPT_SCHEMA = Obj(
    title="FileReceipt",
    fields={
        "batch_id": Str(36, 36, pattern=UUID_RE),
        "name": Str(FILE_NAME_MAX_BYTES, 1),
        "sha256": Str(64, 64, pattern=HEX64),
        "size": Int(minimum=1),
        "mime": Str(40, 1),
        "received_at": DateTime(),
        "duplicate": Bool(),
    },
)
FILE_LIST_SCHEMA = Obj(
    title="FileList",
    fields={
        "batch_id": Str(36, 36, pattern=UUID_RE),
        "files": Arr(of=FILE_RECEIPT_SCHEMA, max_items=100),
    },
)
ERROR_SCHEMA = Obj(
    title="Error",
    fields={"error": Str(40, 1), "message": Str(2000), "path": Str(300, nullable=True)},
    optional=("path",),
)


def content_digest_header(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:``."""
    import base64

    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def parse_content_digest(value: str) -> str | None:
    """The hex SHA-256 named by a ``Content-Digest`` header, or None if it names none."""
    import base64
    import binascii

    for part in value.split(","):
        name, _, rest = part.strip().partition("=")
        if name.strip().lower() != "sha-256":
            continue
        rest = rest.strip()
        if len(rest) < 2 or not (rest.startswith(":") and rest.endswith(":")):
            return None
        try:
            raw = base64.b64decode(rest[1:-1], validate=True)
        except (binascii.Error, ValueError):
            return None
        return raw.hex() if len(raw) == 32 else None
    return None

"""The county's review of a batch, as one versioned wire format shared by both sides.

- **Verdicts** (验收意见) per batch: ``accepted``, ``returned`` (with the reason and the stations
  concerned) or ``accepted_with_corrections``. Append-only: a new verdict supersedes the one before,
  none is edited.
- **Spot-check results** (抽查复核): for each sampled station, the township's counting visit next to
  the county's re-score, item by item, and whether the pass/fail verdict changes
  (:func:`compare`, over the one scoring function).
- **The review document** (``fieldtui.review/1``): what ``GET /api/v1/batches/{id}/review`` answers
  and what the e-mail file carries; :data:`REVIEW_SCHEMA` validates it on both sides and is
  embedded in the OpenAPI description.
- **The review file** for townships that only use e-mail (``fieldtui.reviews/1``): the documents
  with the SHA-256 of their canonical bytes and, for a township with a token, an HMAC-SHA256 keyed
  with the token's hash, so a township can tell the county's file from a forged or damaged one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fieldtui.domain.batch import HEX64, UUID_RE, canonical, parse_batch, visit_sheet
from fieldtui.domain.errors import Refusal
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.schema import (
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
    has_surrogate,
    printable,
)
from fieldtui.domain.scoring import Sheet, compute

ACCEPTED = "accepted"
RETURNED = "returned"
CORRECTED = "accepted_with_corrections"
VERDICTS = (ACCEPTED, RETURNED, CORRECTED)
PENDING = "pending"  # no verdict yet (a status, never stored as a verdict)
VERDICT_ZH = {ACCEPTED: "通过", RETURNED: "退回", CORRECTED: "修正后通过", PENDING: "待审核"}
VERDICT_EN = {
    ACCEPTED: "accepted",
    RETURNED: "returned",
    CORRECTED: "accepted with corrections",
    PENDING: "pending",
}
REASON_MAX = 2000
REVIEW_SCHEMA_ID = "fieldtui.review/1"
REVIEWS_FILE_ID = "fieldtui.reviews/1"


class ReviewError(Refusal):
    """A verdict, re-score or review file refused; the message names what is wrong."""


def verdict_label(verdict: str, lang: str) -> str:
    return (VERDICT_EN if lang == "en" else VERDICT_ZH).get(verdict, verdict)


# -- the wire schema ---------------------------------------------------------------------------

_UUID = Str(36, 36, pattern=UUID_RE)
_STATION_REF = Obj(title="ReviewStation", fields={"id": Int(1), "name": Str(60)})
VERDICT_SCHEMA = Obj(
    title="Verdict",
    fields={
        "id": Int(1),
        "verdict": Enum(VERDICTS),
        "reason": Str(REASON_MAX),
        "stations": Arr(_STATION_REF, max_items=5000),
        "reviewer": Str(60),
        "decided_at": DateTime(),
        "supersedes": Int(1, nullable=True),
    },
)
_ITEM_DIFF = Obj(
    title="ItemDifference",
    fields={
        "n": Int(1, 200),
        "max": Num(0, 100),
        "township": Num(0, 100, nullable=True),
        "county": Num(0, 100, nullable=True),
        "note": Str(1000),
    },
)
_RESCORE = Obj(
    title="Rescore",
    fields={
        "id": Int(1),
        "date": Date(),
        "reviewer": Str(60),
        "base": Num(0, 1000),
        "bonus": Num(0, 1000),
        "total": Num(0, 2000),
        "veto": Arr(Int(1, 20), max_items=20),
        "passed": Bool(),
        "recorded_at": DateTime(),
    },
)
SPOT_CHECK_SCHEMA = Obj(
    title="SpotCheck",
    fields={
        "sample_id": Int(1),
        "drawn_at": DateTime(),
        "station_id": Int(1),
        "name": Str(60),
        "visit_id": Int(1, nullable=True),
        "township_total": Num(0, 2000, nullable=True),
        "township_passed": Bool(nullable=True),
        "county": Obj(fields=_RESCORE.fields, title="Rescore", nullable=True),
        "verdict_changed": Bool(nullable=True),
        "differences": Arr(_ITEM_DIFF, max_items=200),
    },
)
REVIEW_SCHEMA = Obj(
    title="Review",
    fields={
        "schema": Enum((REVIEW_SCHEMA_ID,)),
        "batch_id": _UUID,
        "unit": Str(60, 1),
        "campaign_id": Str(60, 1),
        "period": Str(20, 1),
        "received_at": DateTime(),
        "superseded_by": Str(36, 36, pattern=UUID_RE, nullable=True),
        "status": Enum((PENDING, *VERDICTS)),
        "verdict": Obj(fields=VERDICT_SCHEMA.fields, title="Verdict", nullable=True),
        "history": Arr(VERDICT_SCHEMA, max_items=1000),
        "spot_checks": Arr(SPOT_CHECK_SCHEMA, max_items=5000),
        "generated_at": DateTime(),
    },
)
REVIEWS_FILE_SCHEMA = Obj(
    title="ReviewsFile",
    fields={
        "schema": Enum((REVIEWS_FILE_ID,)),
        "unit": Str(60, 1),
        "exported_at": DateTime(),
        "reviews": Arr(REVIEW_SCHEMA, max_items=10000),
        "sha256": Str(64, 64, pattern=HEX64),
        "signatures": Arr(
            Obj(
                title="Signature",
                fields={"token_id": Int(1), "hmac": Str(64, 64, pattern=HEX64)},
            ),
            max_items=100,
        ),
    },
)


# -- verdict input -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerdictInput:
    verdict: str
    reason: str
    stations: tuple[tuple[int, str], ...]  # (station id, name) of the batch
    reviewer: str


def check_verdict(
    verdict: str,
    reason: str,
    station_refs: Sequence[str],
    batch_stations: Mapping[int, str],
    reviewer: str,
) -> VerdictInput:
    """Validate a verdict against the batch it is for; ``station_refs`` are ids or exact names."""
    if verdict not in VERDICTS:
        raise ReviewError(f"verdict: {printable(verdict)!r} is not one of {', '.join(VERDICTS)}")
    # Text typed on a command line that is not valid UTF-8 arrives as lone surrogates: it could
    # not be stored, so it is refused here, named.
    for option, texts in (("--reason", [reason]), ("--reviewer", [reviewer]),
                          ("--stations", list(station_refs))):  # fmt: skip
        if any(has_surrogate(t) for t in texts):
            raise ReviewError(f"{option}: the text is not valid Unicode (check its encoding)")
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ReviewError(f"--reason: longer than {REASON_MAX} characters")
    if "\x00" in reason:
        raise ReviewError("--reason: contains a NUL character")
    if verdict in (RETURNED, CORRECTED) and not reason:
        raise ReviewError(f"--reason: a verdict of {verdict} needs the reason")
    by_name = {name: sid for sid, name in batch_stations.items()}
    chosen: dict[int, str] = {}
    for ref in station_refs:
        text = ref.strip()
        sid = by_name.get(text)
        if sid is None and text.isdigit() and int(text) in batch_stations:
            sid = int(text)
        if sid is None:
            raise ReviewError(f"--stations: {text!r} is not a station of this batch")
        chosen[sid] = batch_stations[sid]
    if verdict == ACCEPTED and chosen:
        raise ReviewError("--stations: an accepted batch names no stations to correct")
    reviewer = reviewer.strip()
    if not reviewer:
        raise ReviewError("--reviewer: who gives the verdict is required (or set officer)")
    if len(reviewer) > 60:
        raise ReviewError("--reviewer: longer than 60 characters")
    return VerdictInput(verdict, reason, tuple(sorted(chosen.items())), reviewer)


# -- comparing the township's score with the county's ------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    n: int
    category: int
    max: float
    township: float | None
    county: float | None

    @property
    def differs(self) -> bool:
        return self.township != self.county

    @property
    def delta(self) -> float | None:
        if self.township is None or self.county is None:
            return None
        return self.county - self.township


@dataclass(frozen=True, slots=True)
class Side:
    base: float
    bonus: float
    total: float
    veto: tuple[int, ...]
    passed: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    items: tuple[ItemRow, ...]
    township: Side
    county: Side

    @property
    def differences(self) -> tuple[ItemRow, ...]:
        return tuple(r for r in self.items if r.differs)

    @property
    def verdict_changed(self) -> bool:
        return self.township.passed != self.county.passed

    @property
    def delta(self) -> float:
        return self.county.total - self.township.total


def _side(campaign: Campaign, sheet: Sheet) -> Side:
    r = compute(campaign, sheet)
    return Side(r.base, r.bonus, r.total, tuple(sorted(sheet.veto)), r.passed)


def compare(campaign: Campaign, township: Sheet, county: Sheet) -> Comparison:
    """Both sheets scored by the one engine, item by item."""
    rows = tuple(
        ItemRow(it.number, it.category, it.max, township.scores.get(it.number),
                county.scores.get(it.number))
        for it in campaign.items
    )  # fmt: skip
    return Comparison(rows, _side(campaign, township), _side(campaign, county))


def compare_visit(campaign: Campaign, visit: Mapping[str, Any], county: Sheet) -> Comparison:
    """The township's wire visit (from its batch) against the county's sheet."""
    return compare(campaign, visit_sheet(campaign, visit), county)


def differences_wire(
    comparison: Comparison, county_notes: Mapping[int, str]
) -> list[dict[str, Any]]:
    return [
        {
            "n": r.n,
            "max": _num(r.max),
            "township": None if r.township is None else _num(r.township),
            "county": None if r.county is None else _num(r.county),
            "note": county_notes.get(r.n, "")[:1000],
        }
        for r in comparison.differences
    ]


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


# -- the review file for e-mail ----------------------------------------------------------------


def token_key(token: str) -> str:
    """The key of a township's review-file HMAC: the SHA-256 of its token, as the county stores
    it (``fieldtui.county.auth.token_hash``); the township computes it from its own token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _file_digest(content: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in content.items() if k not in ("sha256", "signatures")}
    return canonical(body)


def sign_reviews_file(
    unit: str,
    exported_at: str,
    reviews: Sequence[Mapping[str, Any]],
    keys: Iterable[tuple[int, str]],
) -> dict[str, Any]:
    """The file's object: its SHA-256 and one HMAC per (token id, token hash hex) of the unit."""
    content: dict[str, Any] = {
        "schema": REVIEWS_FILE_ID,
        "unit": unit,
        "exported_at": exported_at,
        "reviews": list(reviews),
    }
    data = _file_digest(content)
    content["sha256"] = hashlib.sha256(data).hexdigest()
    content["signatures"] = [
        {"token_id": tid, "hmac": hmac.new(bytes.fromhex(key), data, hashlib.sha256).hexdigest()}
        for tid, key in sorted(keys)
    ]
    REVIEWS_FILE_SCHEMA.validate(content)
    return content


@dataclass(frozen=True, slots=True)
class ReviewsFile:
    unit: str
    exported_at: str
    reviews: tuple[dict[str, Any], ...]
    signed: bool  # an HMAC matched the township's own token


def read_reviews_file(
    body: bytes, where: str, own_unit: str, token_hash_hex: str | None
) -> ReviewsFile:
    """Check a review file completely: schema, SHA-256, the unit, and the HMAC when the township
    has a token. Raises :class:`ReviewError` naming the file and the problem."""
    try:
        obj = parse_batch(body)  # the same strict JSON rules as a batch
        REVIEWS_FILE_SCHEMA.validate(obj)
    except SchemaError as exc:
        raise ReviewError(f"{where}: not a review file from the county ({exc})") from None
    data = _file_digest(obj)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), obj["sha256"]):
        raise ReviewError(f"{where}: the content does not match its SHA-256 (changed or damaged)")
    if own_unit and obj["unit"] != own_unit:
        raise ReviewError(f"{where}: the file is for {obj['unit']}, not for {own_unit}")
    for i, r in enumerate(obj["reviews"]):
        if r["unit"] != obj["unit"]:
            raise ReviewError(f"{where}: reviews[{i}] is for another township ({r['unit']})")
    signed = False
    if token_hash_hex:
        mine = hmac.new(bytes.fromhex(token_hash_hex), data, hashlib.sha256).hexdigest()
        if obj["signatures"]:
            signed = any(hmac.compare_digest(mine, s["hmac"]) for s in obj["signatures"])
            if not signed:
                raise ReviewError(
                    f"{where}: the county's signature does not match this township's token "
                    "(a forged file, or made for another token)"
                )
    return ReviewsFile(obj["unit"], obj["exported_at"], tuple(obj["reviews"]), signed)


# -- what the township has to do about a review --------------------------------------------------


def stations_to_correct(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stations a review asks the township to look at again: those the verdict in force
    names (returned or accepted with corrections), and those whose spot check changed the
    pass/fail verdict, each once, with the county's score and the items that differ."""
    checks = {sc["station_id"]: sc for sc in doc.get("spot_checks", [])}
    out: dict[int, dict[str, Any]] = {}
    verdict = doc.get("verdict")
    if verdict is not None and verdict["verdict"] in (RETURNED, CORRECTED):
        for st in verdict["stations"]:
            out[st["id"]] = {"station_id": st["id"], "name": st["name"], "why": "verdict"}
    for sid, sc in checks.items():
        if sc.get("verdict_changed") and sid not in out:
            out[sid] = {"station_id": sid, "name": sc["name"], "why": "spot_check"}
    for sid, item in out.items():
        sc = checks.get(sid)
        item["visit_id"] = sc["visit_id"] if sc else None
        item["township_total"] = sc["township_total"] if sc else None
        county = sc["county"] if sc else None
        item["county_total"] = county["total"] if county else None
        item["county_passed"] = county["passed"] if county else None
        item["items"] = [d["n"] for d in sc["differences"]] if sc else []
    return [out[k] for k in sorted(out)]

"""The scoring engine: one function computes a station's result under a campaign.

The TUI, the exports, the county server (which recomputes every total it receives) and the tests
all call :func:`compute`. Scores are floats restricted to multiples of the campaign's step (1, 0.5
or 0.25), so every sum here is exact in binary floating point.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fieldtui.domain.errors import Refusal
from fieldtui.domain.rubric import Campaign


class ScoreError(Refusal):
    """A score, bonus entry or veto that the campaign does not allow. ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True, slots=True)
class BonusEntry:
    """One bonus claimed: the item, its points, the matter it is for, and the level."""

    item: int
    points: float
    matter: str
    level: str = ""


@dataclass(frozen=True, slots=True)
class Sheet:
    """What an assessor recorded: a score per standard item (missing = unscored), bonus, veto."""

    scores: Mapping[int, float] = field(default_factory=dict)
    bonus: tuple[BonusEntry, ...] = ()
    veto: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Result:
    """A sheet's totals: base, bonus, total, whether it is complete, passed or vetoed."""

    base: float
    bonus: float
    total: float
    veto: bool
    passed: bool
    complete: bool
    scored: int
    unscored: tuple[int, ...]
    subtotals: tuple[float, ...]
    bonus_by_item: dict[int, float]
    lost: dict[int, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "base": self.base,
            "bonus": self.bonus,
            "total": self.total,
            "veto": self.veto,
            "passed": self.passed,
            "complete": self.complete,
        }


def normalise_matter(text: str) -> str:
    """The key a bonus matter is grouped by: NFKC-normalised, trimmed, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def check_score(campaign: Campaign, item: int, value: float) -> float:
    """Return ``value`` as a float if ``item`` may take it under ``campaign``, else ScoreError."""
    if not campaign.has_item(item):
        raise ScoreError(f"item {item}", "no such standard item")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScoreError(f"item {item}", f"not a number: {value!r}")
    v = float(value)
    mx = campaign.item(item).max
    if v != v or v in (float("inf"), float("-inf")):
        raise ScoreError(f"item {item}", "not a finite number")
    if v < 0 or v > mx:
        raise ScoreError(f"item {item}", f"{v:g} is outside 0..{mx:g}")
    if not campaign.partial_scores and v not in (0.0, mx):
        raise ScoreError(
            f"item {item}",
            f"{v:g} is a partial score; this campaign scores each item {mx:g} or 0",
        )
    step = campaign.score_step
    if abs(v / step - round(v / step)) > 1e-9:
        raise ScoreError(f"item {item}", f"{v:g} is not a multiple of {step:g}")
    return v


def check_bonus(campaign: Campaign, entry: BonusEntry) -> BonusEntry:
    """Validate one bonus entry: a known bonus item, allowed points or level, a matter named."""
    b = campaign.bonus_item(entry.item)
    where = f"bonus item {entry.item}"
    if b is None:
        raise ScoreError(where, "no such bonus item")
    if isinstance(entry.points, bool) or not isinstance(entry.points, (int, float)):
        raise ScoreError(where, f"points not a number: {entry.points!r}")
    points = float(entry.points)
    if entry.level:
        lv = b.level(entry.level)
        if lv is None:
            keys = ", ".join(x.key for x in b.levels) or "none"
            raise ScoreError(where, f"unknown level {entry.level!r} (levels: {keys})")
        if points != lv.points:
            raise ScoreError(where, f"level {lv.key} is worth {lv.points:g}, not {points:g}")
    if not any(abs(points - p) < 1e-9 for p in b.allowed_points()):
        allowed = "/".join(f"{p:g}" for p in b.allowed_points())
        raise ScoreError(where, f"{points:g} points not allowed (allowed: {allowed})")
    matter = normalise_matter(entry.matter)
    if not matter:
        raise ScoreError(where, "the matter (事项) is required")
    if len(matter) > 500:
        raise ScoreError(where, "the matter is longer than 500 characters")
    return BonusEntry(item=entry.item, points=points, matter=matter, level=entry.level)


def check_veto(campaign: Campaign, conditions: Iterable[int]) -> frozenset[int]:
    valid = {c.number for c in campaign.veto_conditions}
    out = set()
    for c in conditions:
        if isinstance(c, bool) or not isinstance(c, int) or c not in valid:
            raise ScoreError(f"veto {c!r}", f"no such veto condition (1..{len(valid)})")
        out.add(c)
    return frozenset(out)


def counted_bonus(entries: Sequence[BonusEntry]) -> set[int]:
    """The positions of the entries that count: each matter's highest entry only
    (同一事项只计最高加分，不累计加分); the others are shown as not counted."""
    best: dict[str, int] = {}
    for i, e in enumerate(entries):
        key = normalise_matter(e.matter)
        kept = best.get(key)
        # Ties keep the lower item number so the result does not depend on entry order.
        if kept is None or (e.points, -e.item) > (entries[kept].points, -entries[kept].item):
            best[key] = i
    return set(best.values())


def bonus_total(
    campaign: Campaign, entries: Iterable[BonusEntry]
) -> tuple[float, dict[int, float]]:
    """The bonus in the order the design fixes.

    1. group entries by matter (NFKC, trimmed) and keep each matter's highest entry only
       (同一事项只计最高加分，不累计加分);
    2. per bonus item, sum the kept entries and cap at the item's maximum;
    3. sum the items and cap at the campaign's bonus cap.
    """
    listed = list(entries)
    per_item: dict[int, float] = {}
    for i in sorted(counted_bonus(listed)):
        e = listed[i]
        per_item[e.item] = per_item.get(e.item, 0.0) + e.points
    capped = {}
    for b in campaign.bonus:
        if b.number in per_item:
            capped[b.number] = min(per_item[b.number], b.max)
    return min(sum(capped.values()), campaign.bonus_cap), capped


def compute(campaign: Campaign, sheet: Sheet) -> Result:
    """Score a sheet. Scores are assumed checked (see :func:`check_sheet`)."""
    scores = sheet.scores
    subtotals = []
    base = 0.0
    unscored: list[int] = []
    lost: dict[int, float] = {}
    for cat in campaign.categories:
        sub = 0.0
        for n in cat.items:
            v = scores.get(n)
            if v is None:
                unscored.append(n)
                continue
            sub += v
            mx = campaign.item(n).max
            if v < mx:
                lost[n] = mx - v
        subtotals.append(sub)
        base += sub
    bonus, by_item = bonus_total(campaign, sheet.bonus)
    veto = bool(sheet.veto)
    total = base + bonus
    complete = not unscored
    return Result(
        base=base,
        bonus=bonus,
        total=total,
        veto=veto,
        passed=complete and not veto and total >= campaign.pass_mark,
        complete=complete,
        scored=len(campaign.items) - len(unscored),
        unscored=tuple(unscored),
        subtotals=tuple(subtotals),
        bonus_by_item=by_item,
        lost=lost,
    )


def check_sheet(campaign: Campaign, sheet: Sheet) -> Sheet:
    """Validate every part of a sheet; return it with numbers as floats and matters normalised."""
    scores = {n: check_score(campaign, n, v) for n, v in sheet.scores.items()}
    bonus = tuple(check_bonus(campaign, e) for e in sheet.bonus)
    veto = check_veto(campaign, sheet.veto)
    return Sheet(scores=scores, bonus=bonus, veto=veto)


def full_marks(campaign: Campaign) -> dict[int, float]:
    return {it.number: it.max for it in campaign.items}

"""The rules of editing a score sheet by keyboard, pure: typed scores, fill, moving on, undo/redo.

The scoring screen keeps the sheet the officer sees; these functions decide what a key does to it.
Totals are never computed here: :func:`fieldtui.domain.scoring.compute` is the one place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fieldtui.domain.errors import Refusal
from fieldtui.domain.rubric import Campaign


@dataclass(frozen=True, slots=True)
class Change:
    """One item's score going from ``old`` to ``new`` (None = unscored)."""

    item: int
    old: float | None
    new: float | None


class TypedScoreError(Refusal):
    """A typed score the campaign refuses. ``code`` says why, for a message in the user's language.

    Codes: ``number`` (not a number), ``range`` (outside 0..max), ``fixed`` (the campaign scores
    each item its maximum or 0), ``step`` (not a multiple of the campaign's step).
    """

    def __init__(self, code: str, item: int, text: str, maximum: float, step: float) -> None:
        self.code = code
        self.item = item
        self.text = text
        self.maximum = maximum
        self.step = step
        super().__init__(f"item {item}: {text!r} refused ({code})")


def parse_typed(text: str) -> float | None:
    """``"2"``, ``"2.5"``, ``".5"``, ``"2."`` as a number; None if it is not one."""
    t = text.strip()
    if not t or t == "." or t.count(".") > 1 or not all(c.isdigit() or c == "." for c in t):
        return None
    if not t.isascii():
        return None
    return float(t)


def typed_score(campaign: Campaign, item: int, text: str) -> float:
    """The score typed for ``item``, validated against its maximum and the campaign's rules."""
    mx = campaign.item(item).max
    step = campaign.score_step
    v = parse_typed(text)
    if v is None:
        raise TypedScoreError("number", item, text, mx, step)
    if v > mx:
        raise TypedScoreError("range", item, text, mx, step)
    if not campaign.partial_scores and v not in (0.0, mx):
        raise TypedScoreError("fixed", item, text, mx, step)
    if abs(v / step - round(v / step)) > 1e-9:
        raise TypedScoreError("step", item, text, mx, step)
    return v


def set_changes(
    scores: Mapping[int, float], values: Mapping[int, float | None]
) -> tuple[Change, ...]:
    """The changes that setting ``values`` makes to ``scores`` (unchanged items left out)."""
    return tuple(Change(n, scores.get(n), v) for n, v in values.items() if scores.get(n) != v)


def fill_changes(campaign: Campaign, scores: Mapping[int, float]) -> tuple[Change, ...]:
    """Every unscored item to its full score."""
    return tuple(
        Change(it.number, None, it.max) for it in campaign.items if it.number not in scores
    )


def apply(scores: dict[int, float], changes: Iterable[Change], *, undo: bool = False) -> None:
    """Apply changes (or revert them) to ``scores`` in place."""
    for c in changes:
        v = c.old if undo else c.new
        if v is None:
            scores.pop(c.item, None)
        else:
            scores[c.item] = v


def next_after(campaign: Campaign, item: int, scores: Mapping[int, float]) -> int:
    """Where the cursor goes after scoring ``item``: the next item; after the last one, the first
    unscored item if any, else stay."""
    last = campaign.items[-1].number
    if item < last:
        return item + 1
    return first_unscored(campaign, scores) or item


def first_unscored(campaign: Campaign, scores: Mapping[int, float]) -> int | None:
    return next((it.number for it in campaign.items if it.number not in scores), None)


def category_of(campaign: Campaign, item: int) -> int:
    return campaign.item(item).category


class History:
    """Undo/redo of score changes, one entry per key (a fill is one entry). Bounded."""

    def __init__(self, limit: int = 500) -> None:
        self._undo: deque[tuple[Change, ...]] = deque(maxlen=limit)
        self._redo: list[tuple[Change, ...]] = []

    def record(self, changes: Sequence[Change]) -> None:
        if changes:
            self._undo.append(tuple(changes))
            self._redo.clear()

    def undo(self) -> tuple[Change, ...] | None:
        """The entry to revert (apply with ``undo=True``), or None."""
        if not self._undo:
            return None
        entry = self._undo.pop()
        self._redo.append(entry)
        return entry

    def redo(self) -> tuple[Change, ...] | None:
        if not self._redo:
            return None
        entry = self._redo.pop()
        self._undo.append(entry)
        return entry

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

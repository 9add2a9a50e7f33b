"""Filter-as-you-type matching, shared by the ledger and the station picker.

A query matches a station when every space-separated term is found in one of its fields, or in its
stored pinyin keys (full pinyin or initials: ``yf`` and ``yongfeng`` both find 永丰村). Matching is
case-insensitive and width-insensitive (full-width letters typed by a Chinese input method count).
Pure string work on stored keys: pypinyin is never loaded to filter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Case- and width-folded text for matching."""
    return unicodedata.normalize("NFKC", text).casefold()


def haystack(fields: Iterable[object], pinyin: str = "") -> str:
    """Precompute a station's searchable text once; match queries against it many times."""
    parts = [fold(str(f)) for f in fields if f not in (None, "")]
    if pinyin:
        parts.append(fold(pinyin))
    return "\x1f".join(parts)


def matches(query: str, hay: str) -> bool:
    terms = fold(query).split()
    return all(term in hay for term in terms)


def filter_indices(query: str, hays: list[str]) -> list[int]:
    """Indices of the haystacks that match ``query`` (all of them for an empty query)."""
    terms = fold(query).split()
    if not terms:
        return list(range(len(hays)))
    return [i for i, h in enumerate(hays) if all(t in h for t in terms)]

"""Pinyin search keys for station names, computed when a station is written and stored.

pypinyin costs ~170 ms and ~58 MiB to import, so it is imported here only, on a write; filtering
reads the stored keys and never loads it.
"""

from __future__ import annotations

import itertools

MAX_VARIANTS = 16


def pinyin_keys(*texts: str) -> str:
    """Space-separated search keys: full pinyin and initials, for every reading of each text.

    ``pinyin_keys("永丰村")`` gives ``"yongfengcun yfc"``. Characters with several readings
    (heteronyms) give every combination, capped at MAX_VARIANTS per text.
    """
    from pypinyin import Style, pinyin  # heavy: only on write

    keys: list[str] = []
    for text in texts:
        if not text:
            continue
        readings = pinyin(text, style=Style.NORMAL, heteronym=True, errors=_keep)  # type: ignore[arg-type]
        options = [_dedupe([r.lower() for r in rs if r.strip()]) or [""] for rs in readings]
        for combo in itertools.islice(itertools.product(*options), MAX_VARIANTS):
            full = "".join(combo).replace(" ", "")
            initials = "".join(part[0] for part in combo if part and part[0].isalnum())
            for key in (full, initials):
                if key and key not in keys:
                    keys.append(key)
    return " ".join(keys)


def _keep(text: str) -> list[str]:
    """Non-Chinese runs (letters, digits) are kept as they are."""
    return [text]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))

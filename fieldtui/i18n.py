"""Small helpers for the interface language: pick a text, format rates, scores and months.

Plain functions, no Textual: the screens and the CLI can share them.
"""

from __future__ import annotations

import datetime as dt

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tr(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def percent(rate: float | None) -> str:
    """A rate as every screen, the CLI and the documents show it: '62.5%', '25%', '—' with no
    stations (never an error). One decimal and one formatter, so the dashboard never reads 19%
    where the township's file says 18.5%."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def signed_percent(value: float | None) -> str:
    """A gap in percentage points: '+4.2%', '-12.5%', '0%'."""
    if value is None:
        return "—"
    text = percent(abs(value))
    return "0%" if text == "0%" else ("+" if value > 0 else "-") + text


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def month_label(month: str, lang: str) -> str:
    """``2023-04`` as ``4月`` or ``Apr``."""
    m = int(month.split("-")[1])
    return MONTHS_EN[m - 1] if lang == "en" else f"{m}月"


def month_long(month: str, lang: str) -> str:
    """``2023-04`` as ``2023年4月`` or ``Apr 2023``."""
    y, m = (int(x) for x in month.split("-"))
    return f"{MONTHS_EN[m - 1]} {y}" if lang == "en" else f"{y}年{m}月"


def date(day: dt.date, lang: str) -> str:
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"

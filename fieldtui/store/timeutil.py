"""Timestamps. China has one fixed offset (+08:00, no summer time), so no tz database is needed."""

from __future__ import annotations

import datetime as dt

from fieldtui.domain.rubric import CHINA_TZ


def now() -> dt.datetime:
    return dt.datetime.now(CHINA_TZ)


def now_iso() -> str:
    return now().isoformat(timespec="milliseconds")

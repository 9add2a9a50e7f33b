"""Sealed test batches from a real demo township, for the county tests and benchmarks.

``BatchFactory`` fills one demo township (``fieldtui.demo.fill_demo``) in a temporary home once and
seals batches from it for any unit and period, exactly as the township side does
(``build_content`` + ``seal_payload`` + ``canonical``), with hooks to break them on purpose.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldtui.domain.batch import (
    API_PATH,
    build_content,
    canonical,
    content_digest_header,
    seal_payload,
)
from fieldtui.domain.rubric import CHINA_TZ, Campaign


@dataclass(frozen=True)
class Sealed:
    batch_id: str
    body: bytes
    payload: dict[str, Any]

    def headers(self, token: str, *, key: str | None = None) -> dict[str, str]:
        return push_headers(self.body, token, key or self.batch_id)


def push_headers(body: bytes, token: str, key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": key,
        "Content-Digest": content_digest_header(body),
        "Content-Type": "application/json",
    }


PUSH_PATH = API_PATH


class BatchFactory:
    def __init__(self, home: Path, stations: int = 24, seed: int = 2023) -> None:
        from fieldtui import campaigns
        from fieldtui.demo import fill_demo
        from fieldtui.store.store import open_store

        self.home = home
        with open_store(home) as store:
            self.campaign: Campaign = campaigns.active(home)
            fill_demo(store, self.campaign, stations, seed=seed)
            self.stations = store.stations.all(include_archived=True)
            self.assessments = store.assessments.for_campaign(self.campaign.id)
            self.plan = store.plan.months(self.campaign.id)
        self._content: dict[tuple[str, str], dict[str, Any]] = {}

    def content(self, unit: str, period: str = "2023Q2") -> dict[str, Any]:
        key = (unit, period)
        if key not in self._content:
            p = self.campaign.period(period)
            assert p is not None, period
            self._content[key] = build_content(
                self.campaign, p, unit, "张三", self.stations, self.assessments, self.plan
            )
        return copy.deepcopy(self._content[key])

    def seal(
        self,
        unit: str,
        period: str = "2023Q2",
        *,
        batch_id: str | None = None,
        sealed_at: dt.datetime | None = None,
        supersedes: str | None = None,
        change: Callable[[dict[str, Any]], None] | None = None,
    ) -> Sealed:
        """A sealed batch; ``change`` edits the content before sealing (to break it on purpose)."""
        content = self.content(unit, period)
        if change is not None:
            change(content)
        bid = batch_id or str(uuid.uuid4())
        when = sealed_at or dt.datetime.now(CHINA_TZ)
        payload = seal_payload(content, bid, when, supersedes)
        return Sealed(bid, canonical(payload), payload)

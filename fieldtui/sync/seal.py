"""Sealing (封存) a period: the township's full state at the period's end as one immutable batch.

``seal_period`` builds the batch content from the store, compares its content hash with the
period's newest batch, and either returns that batch unchanged or seals a new one that names the
one it supersedes (also when nothing changed but the newest batch was sealed more than a day
ahead of the clock: sealed under a wrong clock, which the county refuses). The new batch's
canonical bytes are parsed back and checked with the same ``check_batch`` the county runs before
they are stored, so a batch this township could not send is never sealed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fieldtui.domain.batch import (
    build_content,
    canonical,
    check_batch,
    content_hash,
    parse_batch,
    seal_clock_wrong,
    seal_payload,
)
from fieldtui.domain.rubric import CHINA_TZ, Campaign, Period
from fieldtui.domain.submission import BatchRecord
from fieldtui.settings import Settings
from fieldtui.store.batches import NewBatch
from fieldtui.store.store import Store
from fieldtui.sync.errors import SettingMissing, SyncError


@dataclass(frozen=True, slots=True)
class SealResult:
    batch: BatchRecord
    created: bool  # False: nothing changed since the newest batch, which is returned


def require_period(campaign: Campaign, label: str) -> Period:
    period = campaign.period(label)
    if period is None:
        labels = ", ".join(p.label for p in campaign.periods)
        raise SyncError(
            f"--quarter：验收方案中没有期间“{label}”（可选：{labels}）",
            f"--quarter: no period {label!r} in the campaign (periods: {labels})",
        )
    return period


def require_unit(settings: Settings) -> str:
    unit = str(settings.get("unit") or "").strip()
    if not unit:
        raise SettingMissing(
            "unit",
            "未设置填报单位（设置项 unit）：请先运行 fieldtui config set unit 某某镇",
            "the reporting unit is not set (setting `unit`): run "
            "`fieldtui config set unit NAME` first",
        )
    return unit


def build_period_content(
    store: Store, campaign: Campaign, settings: Settings, period: Period
) -> dict[str, object]:
    """The batch content (without seal) of ``period`` from the store's current state."""
    unit = require_unit(settings)
    officer = str(settings.get("officer") or "")
    return build_content(
        campaign,
        period,
        unit,
        officer,
        store.stations.all(include_archived=True),
        store.assessments.for_campaign(campaign.id),
        store.plan.months(campaign.id),
    )


def seal_period(
    store: Store,
    campaign: Campaign,
    settings: Settings,
    label: str,
    *,
    now: Callable[[], dt.datetime] | None = None,
    new_id: Callable[[], str] | None = None,
) -> SealResult:
    """Seal ``label`` unless nothing changed since its newest batch (then that one is returned).

    ``now`` and ``new_id`` may be given by tests for a reproducible seal time and id.
    """
    period = require_period(campaign, label)
    content = build_period_content(store, campaign, settings, period)
    chash = content_hash(content)

    def build(supersedes: str | None) -> NewBatch:
        batch_id = new_id() if new_id else str(uuid.uuid4())
        sealed_at = (now() if now else dt.datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)
        payload = seal_payload(content, batch_id, sealed_at, supersedes)
        body = canonical(payload)
        # The county's own check on the exact bytes: never seal what it would refuse.
        summary = check_batch(parse_batch(body), campaign)
        return NewBatch(
            id=batch_id,
            campaign_id=campaign.id,
            period=period.label,
            unit=str(payload["unit"]),
            content_hash=chash,
            body=body,
            sealed_at=str(payload["sealed_at"]),
            supersedes=supersedes,
            stations=summary.stations,
            passed=summary.passed,
        )

    def reusable(sealed_at: str) -> bool:
        # Sealed under a clock more than a day fast (the county refuses it, "the clock looks
        # wrong"): with the clock set right, sealing again makes a new batch, not that one.
        return not seal_clock_wrong(sealed_at, (now() if now else dt.datetime.now(CHINA_TZ)))

    record, created = store.batches.add_if_changed(
        campaign.id, period.label, chash, build, reusable=reusable
    )
    return SealResult(record, created)


def is_current(store: Store, campaign: Campaign, settings: Settings, label: str) -> bool:
    """Whether the period's newest batch still matches the store (no seal needed)."""
    period = require_period(campaign, label)
    latest = store.batches.latest(campaign.id, period.label)
    if latest is None:
        return False
    if seal_clock_wrong(latest.sealed_at, dt.datetime.now(CHINA_TZ)):
        return False  # sealed under a wrong clock: to be sealed again
    content = build_period_content(store, campaign, settings, period)
    return content_hash(content) == latest.content_hash

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.store.store import open_store
from fieldtui.sync.seal import seal_period
from tests.sync.helpers import SEAL_TIME, make_settings, small_township, visit


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A township with five stations and visits in 2023Q1 and 2023Q2, nothing sealed.

    The store's clock is frozen while it is built, so the visits' completion times, and with
    them the batches' digests shown on screen, are the same on every run.
    """
    monkeypatch.setattr(
        "fieldtui.store.assessments.now_iso", lambda: "2023-06-30T18:00:00.000+08:00"
    )
    h = tmp_path / "home"
    h.mkdir()
    make_settings(h)
    with open_store(h) as store:
        small_township(store, active(None))
    return h


def _ids():
    n = iter(range(1, 100))
    return lambda: str(uuid.UUID(int=(0xA11CE000 + next(n)) << 96))


@pytest.fixture
def history(home: Path) -> Path:
    """Batches in every state, with fixed ids and seal times, for the pictures."""
    c = active(None)
    settings = make_settings(home)
    new_id = _ids()
    with open_store(home) as store:
        q1 = seal_period(store, c, settings, "2023Q1", now=lambda: SEAL_TIME, new_id=new_id).batch
        store.batches.queue([q1.id])
        store.batches.start_attempt(q1.id)
        store.batches.acknowledge(q1.id, {
            "batch_id": q1.id, "digest": q1.digest, "received_at": "2023-07-03T10:02:11+08:00",
            "unit": "龙河镇", "campaign_id": c.id, "period": "2023Q1", "supersedes": None,
            "duplicate": False,
        })  # fmt: skip
        q2 = seal_period(store, c, settings, "2023Q2", now=lambda: SEAL_TIME, new_id=new_id).batch
        store.batches.queue([q2.id])
        store.batches.start_attempt(q2.id)
        store.batches.record_error(
            q2.id, "422：县级服务器拒收此批次 / 422: the county refused this batch", permanent=True
        )
        sid = store.stations.by_name("红星村退役军人服务站")
        assert sid is not None
        visit(store, c, sid.id, dt.date(2023, 6, 25))
        later = SEAL_TIME + dt.timedelta(hours=2)
        q2b = seal_period(store, c, settings, "2023Q2", now=lambda: later, new_id=new_id).batch
        store.batches.queue([q2b.id])
        store.batches.start_attempt(q2b.id)
        store.batches.record_error(
            q2b.id, "暂未送达，留在待发箱稍后重试：无法连接县级服务器 / not delivered yet, "
            "kept in the outbox: cannot connect to the county server", permanent=False,
        )  # fmt: skip
    return home

"""Hostile network (issue 5, item 7): the real push client (``fieldtui.sync.client``) with a short
deadline, through the loopback fault proxy, against the real county server.

Each run seals a new batch (a superseding one, as a township does after a change) and sends it with
a 2-second deadline while the proxy gives every request a seeded random fault: latency, refused
connections, resets mid-body, truncated bodies (cut short, or complete with a shortened
Content-Length), slow drips, stalls and answers dropped after the commit. ``count(20, 200)`` runs.

Every run: the send ends within its deadline plus a small slack (measured), acknowledged or left
pending in the outbox (never refused for good); one run in seven the line is down throughout, so
some batches surely wait in the outbox. At the end the network heals and the outbox is
sent by the app's start-up path (``retry_outbox``): then every batch is at the county exactly once,
none lost, each stored body byte-identical to what was sealed (nothing accepted from a truncated
body), and the township's receipts match the county's.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput
from fieldtui.settings import load_settings
from fieldtui.store.store import open_store
from fieldtui.sync.client import ACKNOWLEDGED, PENDING, PushConfig, retry_outbox, send_batches
from fieldtui.sync.seal import seal_period
from tests.support.counts import count, seed
from tests.support.county_server import TEST_ARGS, start_county
from tests.support.fault_proxy import Fault, FaultProxy
from tests.sync.helpers import UNIT, make_settings, small_township

RUNS = count(20, 200)
DEADLINE = 2.0
SLACK = 0.6  # the event loop's last tick, closing the connection, recording the outcome
CONFIG = PushConfig(
    deadline=DEADLINE, attempts=30, attempt_timeout=1.0, connect_timeout=0.5, read_timeout=1.0,
    wait_initial=0.05, wait_max=0.3, wait_jitter=0.05,
)  # fmt: skip
# The county cuts a stalled or dripping body off quickly, as in production (with smaller figures).
SERVER_ARGS = [*TEST_ARGS, "--idle-timeout", "0.5", "--body-timeout", "3"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(count(300, 1800))]


def hostile(rng: random.Random) -> Fault:
    roll = rng.random()
    if roll < 0.22:
        return Fault.passthrough()
    if roll < 0.36:
        return Fault.delay(rng.uniform(0.05, 0.8))
    if roll < 0.44:
        return Fault.refuse()
    if roll < 0.54:
        return Fault.reset_mid_body(after=rng.choice([None, 0, 1, 100, 4000]))
    if roll < 0.66:
        return Fault.truncate(keep=rng.choice([None, 10, 2000]), rewrite_length=rng.random() < 0.5)
    if roll < 0.76:
        return Fault.drip(chunk=rng.choice([256, 1024, 4096]), interval=rng.uniform(0.001, 0.02))
    if roll < 0.84:
        return Fault.stall(hold=rng.uniform(0.5, 3.0))
    return Fault.drop_response()


def test_hostile_network_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    s = seed(2023)
    rng = random.Random(s)
    why = f"(seed {s}; FIELDTUI_SEED={s} replays it)"
    srv = start_county(tmp_path / "county", units=[UNIT], args=SERVER_ARGS)
    home = tmp_path / "township"
    try:
        with FaultProxy(srv.port, plan=lambda n: hostile(rng)) as proxy:
            make_settings(home, endpoint=proxy.url, token=srv.tokens[UNIT])
            settings = load_settings(home)
            campaign = active(home)
            sealed: dict[str, bytes] = {}
            outcomes: dict[str, int] = {}
            worst = 0.0
            with open_store(home) as store:
                small_township(store, campaign)
                for i in range(RUNS):
                    store.stations.add(StationInput(name=f"新增{i:03d}村退役军人服务站"))
                    batch = seal_period(store, campaign, settings, "2023Q2").batch
                    sealed[batch.id] = store.batches.body(batch.id)
                    down = i % 7 == 3  # now and then the line is down for the whole deadline
                    proxy.set_plan((lambda n: Fault.refuse()) if down else (lambda n: hostile(rng)))
                    t = time.monotonic()
                    (out,) = send_batches(store, settings, [batch], config=CONFIG).outcomes
                    elapsed = time.monotonic() - t
                    assert out.status == PENDING or not down, out
                    worst = max(worst, elapsed)
                    assert elapsed <= DEADLINE + SLACK, f"run {i}: {elapsed:.2f} s {why}"
                    assert out.status in (ACKNOWLEDGED, PENDING), f"run {i}: {out} {why}"
                    outcomes[out.status] = outcomes.get(out.status, 0) + 1
                    rec = store.batches.require(batch.id)
                    assert rec.in_outbox == (out.status == PENDING) and not rec.blocked
            assert proxy.wait_idle(15)
            # The network heals; the app's start sends what waits in the outbox.
            proxy.set_plan(lambda n: Fault.passthrough())
            late = retry_outbox(home, config=PushConfig(deadline=30.0))
            counts = proxy.counts()
            records = list(proxy.records)
        assert outcomes[PENDING] >= RUNS // 7, outcomes
        assert late is not None and late.ok and len(late.outcomes) == outcomes[PENDING], late
    finally:
        srv.stop()
    with open_store(home) as store:
        mine = {b.id: b for b in store.batches.all(campaign.id)}
        assert all(b.acknowledged_at and not b.in_outbox for b in mine.values())
    from fieldtui.county.store import open_county

    with open_county(srv.home) as county:
        copies = county.copies()
        assert set(copies) == set(sealed), f"lost: {set(sealed) - set(copies)} {why}"
        assert all(n == 1 for n in copies.values()), f"duplicates {why}"
        for bid, body in sealed.items():
            assert county.body(bid) == body, f"{bid}: stored bytes differ from the sealed {why}"
            assert county.find(bid).received_at == mine[bid].receipt["received_at"]  # type: ignore[union-attr,index]
    # Nothing cut short was ever answered with a receipt.
    accepted_cut = [r for r in records if r.fault.kind in ("truncate", "reset_body")
                    and r.upstream_status in (200, 201)]  # fmt: skip
    assert not accepted_cut, accepted_cut
    for kind in ("delay", "refuse", "reset_body", "truncate", "drip", "stall", "drop_response"):
        assert counts[kind] > 0, (kind, counts, why)
    print(f"{RUNS} runs, deadline {DEADLINE} s: slowest send {worst:.2f} s; {outcomes}; "
          f"later from the outbox: {late.as_dict()['acknowledged'] if late else 0}; "
          f"faults {dict(counts)}")  # fmt: skip

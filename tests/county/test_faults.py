"""Network faults between a retrying client and a real county server, through the loopback fault
proxy: drops, delays, resets mid-body, stalls, slow drips and responses lost after the commit.
Whatever happens, the county ends with exactly one copy of every batch, and none is lost.

50 runs by default; FIELDTUI_STRESS=1 runs 300. The same scenario with deduplication switched off
(``--unsafe-no-dedup``) must find duplicates: proof that the test can fail.
"""

from __future__ import annotations

import concurrent.futures
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fieldtui.county.store import open_county
from fieldtui.domain.batch import API_PATH, sha256_hex
from tests.support.batches import BatchFactory, Sealed
from tests.support.county_server import CountyServer, start_county
from tests.support.fault_proxy import Fault, FaultProxy

UNITS = ("丰收镇", "长乐镇", "太平镇", "双河镇")
RUNS = 300 if os.environ.get("FIELDTUI_STRESS") else 50
SERVER_ARGS = ["--rate", "0", "--token-rate", "0", "--idle-timeout", "0.5", "--body-timeout", "3"]
RETRY = {408, 409, 429, 500, 502, 503, 504}


def random_fault(rng: random.Random) -> Fault:
    roll = rng.random()
    if roll < 0.35:
        return Fault.passthrough()
    if roll < 0.45:
        return Fault.refuse()
    if roll < 0.58:
        return Fault.reset_mid_body(after=rng.choice([None, 0, 1, 100, 5000]))
    if roll < 0.66:
        return Fault.truncate(keep=rng.choice([None, 10, 2000]))
    if roll < 0.76:
        return Fault.delay(rng.uniform(0.01, 0.2))
    if roll < 0.82:
        return Fault.drip(chunk=rng.choice([1024, 8192]), interval=0.001)
    if roll < 0.86:
        return Fault.stall(hold=2.0)
    return Fault.drop_response()


@dataclass
class Outcome:
    batch: Sealed
    receipts: list[dict] = field(default_factory=list)
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


def send_until_acknowledged(url: str, token: str, b: Sealed, deadline: float = 60.0) -> Outcome:
    """A stand-in for the township client: retry transport errors, 408/409/429/5xx with a small
    backoff and the same key, until a receipt (200/201) or a permanent answer."""
    out = Outcome(b)
    end = time.monotonic() + deadline
    delay = 0.01
    with httpx.Client(trust_env=False, timeout=httpx.Timeout(5.0)) as client:
        while time.monotonic() < end:
            out.attempts += 1
            try:
                r = client.post(url + API_PATH, content=b.body, headers=b.headers(token))
            except httpx.TransportError as exc:
                out.errors.append(type(exc).__name__)
            else:
                if r.status_code in (200, 201):
                    out.receipts.append(r.json() | {"_status": r.status_code})
                    return out
                if r.status_code not in RETRY:
                    raise AssertionError(f"permanent {r.status_code}: {r.text}")
                out.errors.append(str(r.status_code))
                if "retry-after" in r.headers:
                    delay = max(delay, float(r.headers["retry-after"]))
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.5)
    raise AssertionError(f"batch {b.batch_id} not acknowledged in {deadline}s: {out.errors}")


def run_faults(
    srv: CountyServer, factory: BatchFactory, runs: int, plan: Callable[[int], Fault], seed: int
) -> tuple[list[Outcome], FaultProxy]:
    rng = random.Random(seed)
    batches = [
        factory.seal(UNITS[i % len(UNITS)], rng.choice(["2023Q1", "2023Q2", "2023Q3"]))
        for i in range(runs)
    ]
    # Some batches are sent by two clients at once (the app's outbox and `fieldtui send`).
    jobs = [(b, 2 if rng.random() < 0.15 else 1) for b in batches]
    with FaultProxy(srv.port, plan=plan) as proxy:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [
                pool.submit(send_until_acknowledged, proxy.url, srv.tokens[b.payload["unit"]], b)
                for b, senders in jobs
                for _ in range(senders)
            ]
            outcomes = [f.result() for f in futures]
        assert proxy.wait_idle(15)
    return outcomes, proxy


def test_faults_never_lose_or_duplicate_a_batch(tmp_path: Path, factory: BatchFactory) -> None:
    seed = int(os.environ.get("FIELDTUI_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    srv = start_county(tmp_path / "county", units=UNITS, args=SERVER_ARGS)
    try:
        outcomes, proxy = run_faults(srv, factory, RUNS, lambda n: random_fault(rng), seed)
        copies = srv.copies()
    finally:
        srv.stop()
    sent = {o.batch.batch_id: o.batch for o in outcomes}
    msg = f"seed {seed} (FIELDTUI_SEED={seed} reproduces the fault plan)"
    assert len(sent) == RUNS, msg
    assert set(copies) == set(sent), f"lost: {set(sent) - set(copies)} {msg}"
    assert all(n == 1 for n in copies.values()), (
        f"duplicates: {[k for k, n in copies.items() if n > 1]} {msg}"
    )
    with open_county(srv.home) as store:
        for bid, b in sent.items():
            assert store.body(bid) == b.body, msg
            stored = store.find(bid)
            assert stored is not None and stored.digest == sha256_hex(b.body)
            for o in outcomes:
                if o.batch.batch_id == bid:
                    (receipt,) = o.receipts
                    assert (
                        receipt["digest"] == stored.digest
                        and receipt["received_at"] == stored.received_at
                    )
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = proxy.counts()
    # The run really exercised the faults it is about.
    for kind in ("refuse", "reset_body", "truncate", "delay", "drop_response", "pass"):
        assert counts[kind] > 0, (kind, counts, msg)
    dropped_after_commit = [
        r for r in proxy.records if r.fault.kind == "drop_response" and r.upstream_status == 201
    ]
    assert dropped_after_commit, msg
    assert sum(o.attempts for o in outcomes) > len(outcomes), msg


def test_truncated_bodies_are_never_accepted(tmp_path: Path, factory: BatchFactory) -> None:
    """A truncation that still looks well-formed (shortened Content-Length) is caught by the digest."""
    srv = start_county(tmp_path / "county", units=UNITS, args=SERVER_ARGS)
    try:
        with FaultProxy(srv.port, default=Fault.truncate(rewrite_length=True)) as proxy:
            statuses = []
            for _ in range(10):
                b = factory.seal(UNITS[0])
                with httpx.Client(trust_env=False, timeout=5) as c:
                    r = c.post(
                        proxy.url + API_PATH,
                        content=b.body,
                        headers=b.headers(srv.tokens[UNITS[0]]),
                    )
                statuses.append((r.status_code, r.json()["error"]))
        assert statuses == [(422, "digest_mismatch")] * 10
        assert srv.copies() == {}
    finally:
        srv.stop()


def test_without_dedup_the_same_faults_leave_duplicates(
    tmp_path: Path, factory: BatchFactory
) -> None:
    """Proof the fault test can fail: switch deduplication off and responses lost after the commit
    turn into duplicate batches at the county."""
    srv = start_county(tmp_path / "county", units=UNITS, args=[*SERVER_ARGS, "--unsafe-no-dedup"])
    try:
        plan = lambda n: Fault.drop_response() if n % 2 == 0 else Fault.passthrough()  # noqa: E731
        outcomes, _ = run_faults(srv, factory, 10, plan, seed=1)
        copies = srv.copies()
    finally:
        srv.stop()
    assert set(copies) == {o.batch.batch_id for o in outcomes}
    assert any(n > 1 for n in copies.values()), copies
    # And the normal server refuses to start on a database holding duplicates.
    r = srv.cli("county", "serve", "--port", "0", check=False)
    assert r.returncode == 2 and "duplicate" in r.stderr


def test_server_killed_between_commit_and_response(tmp_path: Path, factory: BatchFactory) -> None:
    """The server dies right after committing (before answering); restarted on the same home,
    the client's retry gets the original receipt and the county holds one copy."""
    home = tmp_path / "county"
    srv = start_county(home, units=UNITS, args=[*SERVER_ARGS, "--unsafe-crash-after-commit", "1"])
    b = factory.seal(UNITS[0])
    token = srv.tokens[UNITS[0]]
    with httpx.Client(trust_env=False, timeout=10) as c:
        try:
            c.post(srv.url + API_PATH, content=b.body, headers=b.headers(token))
            raise AssertionError("the server answered instead of dying")
        except httpx.TransportError:
            pass
    assert srv.proc.wait(10) == 137
    assert srv.copies() == {b.batch_id: 1}
    again = start_county(home, args=SERVER_ARGS)
    try:
        out = send_until_acknowledged(again.url, token, b)
    finally:
        again.stop()
    (receipt,) = out.receipts
    assert receipt["_status"] == 200 and receipt["duplicate"] is True
    with open_county(home) as store:
        assert store.copies() == {b.batch_id: 1}
        assert store.find(b.batch_id).received_at == receipt["received_at"]

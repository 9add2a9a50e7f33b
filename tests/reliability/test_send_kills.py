"""Killed on either side of a send (issue 5, item 5): after retries the county holds exactly one
copy of every batch and none is lost; with deduplication off the same tests find duplicates.

- The **server** dies between its commit and its answer (``county serve
  --unsafe-crash-after-commit 1``: ``os._exit`` right after a new batch is committed), and a
  supervisor restarts it on the same home and port. The real ``fieldtui send`` runs as a process
  and retries until it gets the receipt. ``count(6, 50)`` crashes.
- The **client** (``fieldtui send``) is SIGKILLed mid-send ``count(8, 50)`` times: half at a
  random moment of the send, half just after the county committed the batch (the answer held
  back by the fault proxy's delay) — the case that makes a duplicate if anything is wrong. The
  next send goes on from the outbox.
- Proof that the tests can fail: the same kills against ``--unsafe-no-dedup`` leave duplicates.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.county.store import open_county
from fieldtui.domain.ledger import StationInput
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import open_store
from fieldtui.sync.seal import seal_period
from tests.support.counts import count, seed
from tests.support.county_server import TEST_ARGS, CountyServer, start_county
from tests.support.env import PYTHON, subprocess_env
from tests.support.fault_proxy import Fault, FaultProxy
from tests.sync.helpers import UNIT, make_settings, small_township

SERVER_KILLS = count(6, 50)
CLIENT_KILLS = count(8, 50)
PERIODS = ("2023Q1", "2023Q2", "2023Q3", "2023Q4")
CRASH = ("--unsafe-crash-after-commit", "1")
NO_DEDUP = ("--unsafe-no-dedup",)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(count(300, 1800))]


class Supervisor:
    """Keeps a county server up: whenever it dies, starts it again on the same home and port."""

    def __init__(self, home: Path, args: Sequence[str]) -> None:
        self.args = [*TEST_ARGS, *args]
        self.srv = start_county(home, units=[UNIT], args=self.args)
        self.home, self.port, self.tokens = home, self.srv.port, self.srv.tokens
        self.crashes = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            code = self.srv.proc.poll()
            if code is None:
                time.sleep(0.01)
                continue
            if code != 137:
                self.errors.append(f"the server exited {code}: {self.srv.log()[-2000:]}")
                return
            self.crashes += 1
            try:
                self.srv = start_county(self.home, args=[*self.args, "--port", str(self.port)])
            except AssertionError as exc:  # e.g. the port was taken meanwhile
                self.errors.append(str(exc))
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.srv.stop()


def township(home: Path, url: str, token: str) -> None:
    make_settings(home, endpoint=url, token=token)
    with open_store(home) as store:
        small_township(store, active(home))


def change_and_seal(home: Path, n: int, periods: Sequence[str] = PERIODS) -> list[str]:
    """A new station (so every period's content changes), then seal each period: new batches
    that supersede the last ones."""
    from fieldtui.settings import load_settings

    campaign = active(home)
    settings = load_settings(home)
    with open_store(home) as store:
        store.stations.add(StationInput(name=f"新增{n:03d}村退役军人服务站"))
        made = [seal_period(store, campaign, settings, p) for p in periods]
    assert all(m.created for m in made)
    return [m.batch.id for m in made]


def send(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "fieldtui", "--home", str(home), "--lang", "en", "send", "--json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
    )  # fmt: skip


def finish(proc: subprocess.Popen[str], timeout: float = 180) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"send exited {proc.returncode}\n{out}\n{err}"
    return json.loads(out)


def township_state(home: Path) -> dict[str, str | None]:
    """batch id -> the county's receipt time the township stored (None: not acknowledged)."""
    conn = sqlite3.connect(home / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, receipt FROM batches").fetchall()
    finally:
        conn.close()
    return {bid: (json.loads(r)["received_at"] if r else None) for bid, r in rows}


def county_state(home: Path) -> tuple[dict[str, int], dict[str, str]]:
    with open_county(home) as store:
        copies = store.copies()
        received = {bid: store.find(bid).received_at for bid in copies}  # type: ignore[union-attr]
    return copies, received


def assert_one_copy_each(township_home: Path, county_home: Path, sealed: list[str]) -> None:
    mine = township_state(township_home)
    copies, received = county_state(county_home)
    assert set(mine) == set(sealed)
    lost = set(sealed) - set(copies)
    assert not lost, f"{len(lost)} batches never reached the county"
    dups = {b: n for b, n in copies.items() if n > 1}
    assert not dups, f"duplicates at the county: {dups}"
    assert set(copies) == set(sealed)
    unacked = [b for b, r in mine.items() if r is None]
    assert not unacked, f"{len(unacked)} batches not acknowledged at the township"
    assert all(mine[b] == received[b] for b in sealed), "a receipt differs from the county's"


# -- the server killed between commit and answer ------------------------------------------------


def test_server_killed_between_commit_and_answer(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path / "county", CRASH)
    home = tmp_path / "township"
    try:
        township(home, sup.srv.url, sup.tokens[UNIT])
        sealed: list[str] = []
        n = 0
        while sup.crashes < SERVER_KILLS:
            want = min(len(PERIODS), SERVER_KILLS - sup.crashes)
            sealed += change_and_seal(home, n, PERIODS[:want])
            n += 1
            report = finish(send(home, "--deadline", "60", "--attempts", "50"))
            assert not sup.errors, sup.errors
            assert report["acknowledged"] == report["sent"] == want, report
            # Every batch was committed by a server that died before answering: the retry to
            # the restarted one got the original receipt.
            assert all(b["receipt"]["duplicate"] for b in report["batches"]), report
    finally:
        sup.stop()
    assert sup.crashes == SERVER_KILLS and not sup.errors
    assert_one_copy_each(home, sup.home, sealed)
    print(f"server killed after commit {sup.crashes} times; {len(sealed)} batches, one copy each")


def test_without_dedup_a_server_killed_after_commit_leaves_duplicates(tmp_path: Path) -> None:
    """Proof: the same crash, restarted without deduplication, stores the retry again."""
    county = tmp_path / "county"
    srv = start_county(county, units=[UNIT], args=[*TEST_ARGS, *NO_DEDUP, *CRASH])
    port, token = srv.port, srv.tokens[UNIT]
    home = tmp_path / "township"
    township(home, srv.url, token)
    sealed = change_and_seal(home, 0, ["2023Q2"])
    proc = send(home, "--deadline", "60", "--attempts", "50")
    assert srv.proc.wait(60) == 137  # committed, then died before answering
    again = start_county(county, args=[*TEST_ARGS, *NO_DEDUP, "--port", str(port)])
    try:
        finish(proc)
    finally:
        again.stop()
    copies, _ = county_state(county)
    assert copies == {sealed[0]: 2}


# -- the client killed mid-send -----------------------------------------------------------------


def _stored(county: Path, batch_id: str) -> bool:
    from fieldtui.county.store import DB_NAME as COUNTY_DB

    conn = sqlite3.connect(f"file:{county / COUNTY_DB}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT 1 FROM batches WHERE batch_id=?", (batch_id,)).fetchone()
        return row is not None
    finally:
        conn.close()


def kill_client(
    proc: subprocess.Popen[str], county: Path, batch_id: str, mode: str, rng: random.Random
) -> str:
    """SIGKILL the send: at a random moment, while it is still starting (``early``), or as soon
    as the county has committed the batch (its answer still held back by the proxy). Returns what
    happened. (After the commit the send also waits for the answer and fetches the review, so
    most random moments land after the commit: the early kills make sure both sides are hit.)"""
    if mode == "after-commit":
        end = time.monotonic() + 30
        while proc.poll() is None and not _stored(county, batch_id) and time.monotonic() < end:
            time.sleep(0.002)
    else:  # early: still starting (imports, settings), the request not yet out
        window = (
            (0.2, 1.6) if mode == "random" else (0.0, 0.2)
        )  # start-up, seal check, send, receipt
        end = time.monotonic() + rng.uniform(*window)
        while proc.poll() is None and time.monotonic() < end:
            time.sleep(0.002)
    if proc.poll() is not None:
        proc.communicate()
        return "finished"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    return "killed after commit" if _stored(county, batch_id) else "killed before commit"


def run_client_kills(tmp_path: Path, server_args: Sequence[str], kills: int, mode: str) -> tuple[
    CountyServer, Path, list[str], dict[str, int]
]:  # fmt: skip
    rng = random.Random(seed(5))
    srv = start_county(tmp_path / "county", units=[UNIT], args=[*TEST_ARGS, *server_args])
    home = tmp_path / "township"
    seen = {"finished": 0, "killed before commit": 0, "killed after commit": 0}
    sealed: list[str] = []
    # Latency both ways widens the window in which a kill finds the request in flight.
    with FaultProxy(srv.port, plan=lambda n: Fault.delay(rng.uniform(0.05, 0.4))) as proxy:
        township(home, proxy.url, srv.tokens[UNIT])
        for i in range(kills):
            (bid,) = change_and_seal(home, i, ["2023Q2"])
            sealed.append(bid)
            how = mode if mode != "mixed" else ("early", "after-commit", "random")[i % 3]
            seen[kill_client(send(home, "--deadline", "30"), srv.home, bid, how, rng)] += 1
            township_state(home)  # integrity_check after every kill
        finish(send(home, "--deadline", "60"))  # what the kills left in the outbox goes now
        proxy.wait_idle()
    return srv, home, sealed, seen


def test_client_killed_mid_send(tmp_path: Path) -> None:
    srv, home, sealed, seen = run_client_kills(tmp_path, (), CLIENT_KILLS, "mixed")
    try:
        assert_one_copy_each(home, srv.home, sealed)
    finally:
        srv.stop()
    assert seen["killed after commit"] >= CLIENT_KILLS // 3, seen
    assert seen["killed before commit"] + seen["finished"] >= 1, seen
    print(f"client killed mid-send {CLIENT_KILLS} times: {seen}; one copy each")


def test_without_dedup_a_client_killed_after_commit_leaves_duplicates(tmp_path: Path) -> None:
    """Proof: kills after the commit, with deduplication off, end in duplicates."""
    srv, _home, sealed, seen = run_client_kills(tmp_path, NO_DEDUP, 3, "after-commit")
    try:
        copies, _ = county_state(srv.home)
    finally:
        srv.stop()
    assert seen["killed after commit"] == 3, seen
    assert set(copies) == set(sealed) and all(n == 2 for n in copies.values()), copies

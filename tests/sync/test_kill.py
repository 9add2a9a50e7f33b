"""Killed while sealing or exporting: a batch is whole or absent; no partial file has a final name.

A child process runs ``fieldtui batch seal`` or ``fieldtui export`` and is SIGKILLed at seeded
random moments. (12 points each here; 50 under ``make stress`` or FIELDTUI_KILL_POINTS.)
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from fieldtui.domain.batch import check_batch, parse_batch
from fieldtui.store.db import DB_NAME
from fieldtui.sync.files import TMP_SUFFIX

POINTS = int(
    os.environ.get("FIELDTUI_KILL_POINTS", "50" if os.environ.get("FIELDTUI_STRESS") else "12")
)


def spawn(home: Path, *argv: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FIELDTUI_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "fieldtui", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def kill_after(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; True if it was still running then."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return running


def check_database(home: Path, campaign) -> int:
    conn = sqlite3.connect(home / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, digest, body, size FROM batches").fetchall()
    finally:
        conn.close()
    for bid, digest, body, size in rows:
        body = bytes(body)
        assert hashlib.sha256(body).hexdigest() == digest and len(body) == size
        assert check_batch(parse_batch(body), campaign).batch_id == bid
    return len(rows)


def timed_run(home: Path, *argv: str) -> float:
    t = time.monotonic()
    assert spawn(home, *argv).wait(timeout=120) == 0
    return time.monotonic() - t


def chain(home: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(home / DB_NAME)
    try:
        return conn.execute("SELECT id, supersedes FROM batches ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_killed_while_sealing(home, campaign, settings, township, store) -> None:
    rng = random.Random(1)
    span = timed_run(home, "batch", "seal", "--quarter", "2023Q2")
    killed = 0
    for i in range(POINTS):
        # A change each time, so every run that finishes seals a new, superseding batch.
        store.plan.set(campaign, township["e"], "2023-06" if i % 2 else "2023-05")
        killed += kill_after(spawn(home, "batch", "seal", "--quarter", "2023Q2"),
                             rng.uniform(0.0, span))  # fmt: skip
        check_database(home, campaign)
        links = chain(home)
        assert all(sup == prev for (_, sup), (prev, _) in zip(links[1:], links, strict=False))
    assert killed >= 1  # (how many land depends on the machine's load)
    # Whatever was interrupted, a clean run seals the current state.
    timed_run(home, "batch", "seal", "--quarter", "2023Q2")
    check_database(home, campaign)


def check_export(folder: Path) -> None:
    for p in folder.iterdir():
        assert not p.name.endswith(TMP_SUFFIX) or p.name.startswith(".")
        if p.name.startswith("."):
            continue
        data = p.read_bytes()
        if p.suffix in (".xlsx", ".docx", ".zip"):
            with zipfile.ZipFile(p) as zf:
                assert zf.testzip() is None, p.name
        elif p.suffix == ".json":
            obj = json.loads(data)
            if "batch_sha256" in obj:
                assert len(obj["files"]) >= 4
            else:
                parse_batch(data)
        elif p.suffix == ".txt":
            lines = data.decode().splitlines()
            assert len(lines) >= 4 and all(len(x.split("  ")[0]) == 64 for x in lines)
        elif p.suffix == ".eml":
            msg = email.message_from_bytes(data, policy=email.policy.default)
            parts = list(msg.iter_attachments())
            assert len(parts) == 5, p.name
            for part in parts:
                part.get_content()
                assert not part.defects, part.defects


def kill_while_writing(proc: subprocess.Popen[bytes], folder: Path, rng: random.Random) -> bool:
    """SIGKILL ``proc`` a few milliseconds after its first temporary file appears in ``folder``
    (the write phase); True if it was killed before it finished."""
    while proc.poll() is None:
        try:
            writing = any(n.endswith(TMP_SUFFIX) for n in os.listdir(folder))
        except FileNotFoundError:
            writing = False
        if writing:
            time.sleep(rng.uniform(0.0, 0.03))
            return kill_after(proc, 0.0)
        time.sleep(0.001)
    return False


def test_killed_while_exporting(home, campaign, settings, store, tmp_path) -> None:
    from fieldtui.demo import fill_demo

    fill_demo(store, campaign, 300, seed=5)  # enough bytes that the write phase can be hit
    rng = random.Random(2)
    out = tmp_path / "out"
    killed = 0
    for i in range(POINTS):
        # Odd runs write over a previous export, even runs may start a fresh folder's files.
        if i % 3 == 0 and out.exists():
            for p in out.iterdir():
                p.unlink()
        proc = spawn(home, "export", "--quarter", "2023Q4", "--out", str(out))
        killed += kill_while_writing(proc, out, rng)
        if out.exists():
            check_export(out)
        assert check_database(home, campaign) <= 1
    assert killed >= POINTS // 3
    proc = spawn(home, "export", "--quarter", "2023Q4", "--out", str(out))
    assert proc.wait(timeout=60) == 0
    check_export(out)
    assert not [p for p in out.iterdir() if p.name.endswith(TMP_SUFFIX)]
    assert len(list(out.iterdir())) == 8

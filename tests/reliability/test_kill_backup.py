"""Killed while backing up or restoring (issue 5, item 4; sealing and exporting are killed in
tests/sync/test_kill.py).

``fieldtui backup DEST`` and ``fieldtui restore FILE --yes`` run as real processes and are
SIGKILLed at ``count(12, 50)`` seeded random moments each, aimed at the copy itself (a few
milliseconds after its temporary file appears, or after the pre-restore copy is in place):

- backup: the destination is either absent or a whole, integrity-checked backup; no partial file
  stands under a backup's name; the live database is untouched and sound;
- restore: the live database is either still the old one or wholly the restored one, never a mix,
  and sound; the copy of the old database kept aside first is whole.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.demo import fill_demo
from fieldtui.store.backup import check_backup
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import open_store
from tests.support.counts import count, seed
from tests.support.env import PYTHON, subprocess_env

POINTS = count(12, 50)


def spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "fieldtui", "--home", str(home), *args],
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_when(proc: subprocess.Popen[bytes], ready, delay: float) -> bool:  # type: ignore[no-untyped-def]
    """SIGKILL ``proc`` ``delay`` seconds after ``ready()`` first holds; True if it was killed
    before it finished."""
    while proc.poll() is None and not ready():
        time.sleep(0.0005)
    end = time.monotonic() + delay
    while proc.poll() is None and time.monotonic() < end:
        time.sleep(0.0005)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return alive


def fingerprint(db: Path) -> tuple[str, str]:
    """(integrity_check, a hash of every station and score) of a database file."""
    conn = sqlite3.connect(db)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        h = hashlib.sha256()
        for row in conn.execute("SELECT id, name, phone FROM stations ORDER BY id"):
            h.update(repr(tuple(row)).encode())
        for row in conn.execute(
            "SELECT assessment_id, item, score FROM item_scores ORDER BY assessment_id, item"
        ):
            h.update(repr(tuple(row)).encode())
        return ok, h.hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busy township (big enough that copying it takes a while), closed as after a quit."""
    home = tmp_path_factory.mktemp("kill-backup") / "home"
    with open_store(home) as store:
        fill_demo(store, active(home), 400, seed=5)
    return home


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another township's backup, the file a successor restores."""
    home = tmp_path_factory.mktemp("kill-restore") / "home"
    with open_store(home) as store:
        fill_demo(store, active(home), 250, seed=11)
        dest = home.parent / "from-predecessor.sqlite3"
        from fieldtui.store.backup import backup_file

        backup_file(store.conn, dest)
    return dest


def test_killed_while_backing_up(township: Path, tmp_path: Path) -> None:
    rng = random.Random(seed(41))
    home = tmp_path / "home"
    shutil.copytree(township, home)
    live = fingerprint(home / DB_NAME)
    usb = tmp_path / "usb"
    usb.mkdir()
    killed = 0
    for i in range(POINTS):
        dest = usb / f"copy-{i}.sqlite3"
        proc = spawn(home, "backup", str(dest))

        def writing() -> bool:
            return any(n.endswith(".part") for n in os.listdir(usb))

        killed += kill_when(proc, writing, rng.uniform(0.0, 0.04))
        for p in usb.iterdir():
            assert not p.name.startswith(f"copy-{i}") or p == dest, p.name
        if dest.exists():  # finished: a whole backup
            check_backup(dest)
            assert fingerprint(dest) == live
        assert fingerprint(home / DB_NAME) == live
        for p in usb.glob(".*.part"):  # what a killed backup leaves has no backup's name
            p.unlink()
    assert killed >= POINTS // 4, f"only {killed} of {POINTS} kills landed while copying"
    print(f"backup: {killed} of {POINTS} runs killed while copying")


def test_killed_while_restoring(township: Path, other: Path, tmp_path: Path) -> None:
    rng = random.Random(seed(43))
    old = fingerprint(township / DB_NAME)
    new = fingerprint(other)
    assert old != new
    killed = 0
    outcomes = {"old": 0, "new": 0}
    for i in range(POINTS):
        home = tmp_path / f"home{i}"
        shutil.copytree(township, home)
        proc = spawn(home, "restore", str(other), "--yes")
        backups = home / "backups"

        def kept_aside(backups: Path = backups) -> bool:
            return backups.is_dir() and any(p.name.endswith(".sqlite3") for p in backups.iterdir())

        killed += kill_when(proc, kept_aside, rng.uniform(0.0, 0.05))
        now = fingerprint(home / DB_NAME)
        assert now in (old, new), f"run {i}: the live database is neither the old nor the new one"
        outcomes["old" if now == old else "new"] += 1
        for p in backups.glob("*.sqlite3") if backups.is_dir() else []:
            check_backup(p)
            assert fingerprint(p) == old
        # Whatever happened, the database opens and a restore can be done again.
        r = subprocess.run(
            [PYTHON, "-m", "fieldtui", "--home", str(home), "restore", str(other), "--yes"],
            env=subprocess_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert fingerprint(home / DB_NAME) == new
        shutil.rmtree(home)
    # (How many land before the restore commits depends on the machine's load.)
    assert killed >= POINTS // 4, f"only {killed} of {POINTS} kills landed while restoring"
    print(f"restore: {killed} of {POINTS} killed; live database old {outcomes['old']}, "
          f"new {outcomes['new']}")  # fmt: skip

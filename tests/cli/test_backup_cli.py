"""``fieldtui backup`` and ``fieldtui restore``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.env import run_cli


def stations(home: Path) -> list[str]:
    r = run_cli("ledger", "list", "--json", home=home)
    assert r.returncode == 0, r.stderr
    return [s["name"] for s in json.loads(r.stdout)["stations"]]


def test_backup_then_restore_to_a_successor(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    assert run_cli("demo", "--stations", "6", home=old).returncode == 0
    usb = tmp_path / "usb"
    usb.mkdir()
    r = run_cli("backup", str(usb), home=old)
    assert r.returncode == 0, r.stderr
    (copy,) = usb.iterdir()
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # A successor restores it into a fresh home, after confirming.
    assert run_cli("demo", "--stations", "2", "--seed", "7", home=new).returncode == 0
    r = run_cli("restore", str(copy), home=new, input="no\n")
    assert r.returncode != 0 and len(stations(new)) == 2
    r = run_cli("restore", str(copy), home=new, input="yes\n")
    assert r.returncode == 0, r.stderr
    assert stations(new) == stations(old)
    live = sqlite3.connect(new / "fieldtui.sqlite3")
    assert live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # the replaced database was kept aside first
    kept = list((new / "backups").glob("*pre-restore*"))
    assert len(kept) == 1
    assert sqlite3.connect(kept[0]).execute("SELECT count(*) FROM stations").fetchone()[0] == 2


def test_restore_refuses_a_bad_file(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert run_cli("demo", "--stations", "3", home=home).returncode == 0
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    notdb = tmp_path / "x.txt"
    notdb.write_text("hello", encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    for f in (bad, notdb, other, tmp_path / "missing.sqlite3"):
        r = run_cli("restore", str(f), "--yes", home=home)
        assert r.returncode != 0 and str(f.name) in r.stderr and "Traceback" not in r.stderr
    assert len(stations(home)) == 3

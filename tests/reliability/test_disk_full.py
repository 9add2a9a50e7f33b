"""Disk full (issue 5, item 3): writes fail part-way; the failed change is never reported as saved,
a clear message results, the process keeps running, and nothing saved before is lost.

The full disk is made with ``RLIMIT_FSIZE`` in a child process (SIGXFSZ ignored, so a write past
the limit fails with EFBIG, as ENOSPC would): no root, no loop device, and the limit can be set to
any byte count, so the failure lands at every stage of an operation — the first WAL frame, the
middle of a transaction, the commit record, a backup's last page, an export's third file.

- ``test_store_operations_under_a_full_disk``: score changes (30 commits in a row), sealing,
  exporting, backing up and a 200-row ledger import, each at ``count(12, 50)`` limits from 0 to
  just past what the operation writes; the checks run in the child (disk_full_child.py).
- ``test_cli_commands_under_a_full_disk``: the real ``fieldtui`` commands: exit non-zero with one
  line naming the problem (no traceback), the database unchanged and sound.
- ``app``: the real app (``FieldApp`` under Pilot, ``count(4, 25)`` limits): twenty scores keyed
  on the scoring screen; a row the screen shows as saved is in the database, every other row is
  marked not saved with "NOT SAVED!" in the status line and its value kept; with space back the
  app is still running and ``r`` saves them. (tests/scoring/test_scoring_failures.py tests the
  screen's own retry flow at one limit.)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput
from fieldtui.store.backup import rotating_backup
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import open_store
from tests.support.counts import count
from tests.support.env import PYTHON, subprocess_env
from tests.sync.helpers import make_settings, small_township, visit

CHILD = Path(__file__).with_name("disk_full_child.py")
POINTS = count(12, 50)
APP_POINTS = count(4, 25)  # each point is an app session (about 2 s)
IMPORT_ROWS = 200
DB_FULL = r"^database write failed, not saved \(the disk is full or cannot be written\)"
EXPECTED = {
    "scores": DB_FULL,
    "app": r"^NOT SAVED! Item \d+$",
    "seal": DB_FULL,
    "import": DB_FULL,
    "backup": r"^backup .+: cannot write .*the disk may be full.*no backup was made, the database "
    r"itself is unchanged$",
    # The seal may fail (database), or a file (named; the old files stay).
    "export": DB_FULL + r"|^cannot write .+ \(File too large\); the existing files were kept$",
}


def write_ledger(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "退役军人服务站名称", "联系人", "联系电话", "服务对象数量（人）"])
        for i in range(rows):
            w.writerow([i + 1, f"新建{i:03d}村退役军人服务站", f"联系人{i}", f"139{i:08d}", i % 90])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A township with history: visits, a sealed and an exported period, three backups, an open
    draft; the database checkpointed and closed (no WAL), as after a quit."""
    from fieldtui.sync.export import export_period

    home = tmp_path_factory.mktemp("disk-full") / "base"
    home.mkdir()
    settings = make_settings(home)
    campaign = active(home)
    with open_store(home) as store:
        ids = small_township(store, campaign)
        export_period(store, campaign, settings, "2023Q2", home / "export")
        for i in range(3):
            rotating_backup(store.conn, store.path, f"old{i}", keep=3)
        visit(store, campaign, ids["e"], dt.date(2023, 6, 28))  # the next seal/export differs
        fresh = store.stations.add(StationInput(name="新建村退役军人服务站"))  # for the app
        draft = store.assessments.create(ids["b"], campaign, dt.date(2023, 6, 30), "冉小明")
        store.assessments.set_scores(
            draft, campaign, {n: campaign.item(n).max for n in range(1, 20)}
        )
    write_ledger(home / "ledger.csv", IMPORT_ROWS)
    (home / "info.json").write_text(
        json.dumps({"draft": draft, "rows": IMPORT_ROWS, "fresh": fresh})
    )
    assert not (home / (DB_NAME + "-wal")).exists()
    return home


@pytest.mark.parametrize("op", ["scores", "seal", "export", "backup", "import", "app"])
def test_store_operations_under_a_full_disk(op: str, base: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [PYTHON, str(CHILD), op, str(base), str(tmp_path), str(APP_POINTS if op == "app" else POINTS)],
        capture_output=True, text=True, env=subprocess_env(), timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout)
    free, *points = report["points"]
    assert free["failed"] == 0 and not free["problems"], free  # the unlimited run is clean
    problems = [(p["limit"], p["problems"]) for p in report["points"] if p["problems"]]
    assert not problems, f"{op}: {problems}"
    # The sweep really made the operation fail part-way, and also let it through.
    assert sum(p["failed"] for p in points) >= len(points) // 2, points
    assert points[-1]["failed"] == 0, points[-1]  # just past the need: nothing fails
    messages = sorted({m for p in points for m in p["messages"]})
    assert messages, points
    print(f"{op}: writes up to {report['need']} B; {len(points)} limits; "
          f"{sum(p['failed'] for p in points)} failed, {sum(p['ok'] for p in points)} saved; "
          f"messages: {messages}")  # fmt: skip
    for m in messages:  # what the officer reads: nothing was saved and why, or which file
        assert re.search(EXPECTED[op], m), m


def _limited(size: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))

    return apply


def _fieldtui(home: Path, *args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "fieldtui", "--home", str(home), "--lang", "en", *args],
        capture_output=True, text=True, env=subprocess_env(), timeout=120,
        preexec_fn=None if limit is None else _limited(limit),
    )  # fmt: skip


def _dump(home: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(home / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in names}
    finally:
        conn.close()


CLI_CASES = {
    "assess": ["assess", "白云社区退役军人服务站", "--date", "2023-06-29", "--from", "{sheet}",
               "--complete"],
    "seal": ["batch", "seal", "--quarter", "2023Q2"],
    "export": ["export", "--quarter", "2023Q2", "--out", "{home}/export"],
    "backup": ["backup", "{home}/usb"],
    "import": ["ledger", "import", "{home}/ledger.csv", "--yes"],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_commands_under_a_full_disk(case: str, base: Path, tmp_path: Path) -> None:
    import shutil

    campaign = active(None)
    sheet = tmp_path / "sheet.json"
    sheet.write_text(json.dumps({"scores": {str(it.number): it.max for it in campaign.items}}))
    failures = 0
    for size in (0, 8_000, 40_000, 70_000):
        home = tmp_path / f"h{size}"
        shutil.copytree(base, home)
        (home / "usb").mkdir()
        before = _dump(home)
        args = [a.format(home=home, sheet=sheet) for a in CLI_CASES[case]]
        r = _fieldtui(home, *args, limit=size)
        after = _dump(home)
        if r.returncode == 0:
            continue
        failures += 1
        # One line says what went wrong (an export's progress lines come before it).
        lines = [x for x in r.stderr.splitlines() if not re.match(r"\[\d+/\d+\] ", x)]
        assert len(lines) == 1 and lines[0].startswith("fieldtui: "), r.stderr
        assert "Traceback" not in r.stderr
        if case != "export":  # an export may seal (a saved change) before a file fails
            assert after == before, f"{case} at {size}: a failed command changed the database"
        if case == "backup":
            assert list((home / "usb").iterdir()) == []
        # Space is back: the same command goes through.
        again = _fieldtui(home, *args)
        assert again.returncode == 0, again.stderr
    assert failures >= 2, f"{case}: the limits never made the command fail"

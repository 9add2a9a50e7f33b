"""Every autosave is synced to disk: a power cut never loses a score the screen showed as saved.

Two guards: the pragmas the store sets (WAL + synchronous=FULL), and the real system calls — under
strace, each committed score change is followed by at least one fsync/fdatasync of the WAL file.
Someone who switches to synchronous=NORMAL (which syncs only at checkpoints) breaks this test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fieldtui.store.store import Store
from tests.support.env import PYTHON, subprocess_env

N_CHANGES = 25

SCRIPT = """
import datetime as dt, os, sys
from pathlib import Path
from fieldtui.campaigns import active
from fieldtui.domain.ledger import StationInput
from fieldtui.store.store import open_store
home = Path(sys.argv[1])
store = open_store(home)
c = active(home)
sid = store.stations.add(StationInput(name="永丰村退役军人服务站"))
aid = store.assessments.create(sid, c, dt.date(2023, 5, 1), "x")
os.write(2, b"MARK-START\\n")
for i in range(int(sys.argv[2])):
    n = i % 57 + 1
    store.assessments.set_score(aid, c, n, c.item(n).max if i % 2 else 0)
os.write(2, b"MARK-END\\n")
store.close()
"""


def test_store_pragmas_are_durable(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_each_score_change_is_synced(tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is needed (apt-get install strace; .ci/run installs it)")
    trace = tmp_path / "trace.txt"
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(trace),
         PYTHON, str(script), str(tmp_path / "home"), str(N_CHANGES)],
        check=True, env=subprocess_env(), capture_output=True,
    )  # fmt: skip
    text = trace.read_text(errors="replace")
    start = text.index("MARK-START")
    end = text.index("MARK-END")
    window = text[start:end]
    syncs = len(re.findall(r"\b(?:fsync|fdatasync)\(", window))
    assert syncs >= N_CHANGES, f"only {syncs} syncs for {N_CHANGES} committed score changes"


def test_the_scoring_screens_writer_commits_as_durably(store: Store) -> None:
    """The scoring screen commits through a background writer on a connection of its own: it
    must carry the same pragmas."""
    from fieldtui.store.writer import Writer

    writer = Writer(store.path)
    try:
        assert writer.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert writer.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        writer.close()

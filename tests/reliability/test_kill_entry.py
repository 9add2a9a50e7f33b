"""Client killed mid-entry (issue 5, item 1).

A scripted officer scores stations in the real app (tests/reliability/entry_child.py: ``FieldApp``
under Pilot in a child process; full marks, zeros, undos, jumps back, cleared scores, completing
each visit) and the child is SIGKILLed at a seeded random moment, ``count(6, 200)`` times in a
row on the same database. The child logs, fsynced, each score at the moment the screen marks it
saved, and the values each key is about to write. After every kill:

- ``PRAGMA integrity_check`` is ok;
- every score the screen had shown as saved is in the database — unless a later key changed it
  again (then the database holds one of the later values, never an older one);
- the database holds no value no key ever wrote; a visit shown as completed is complete;
- the next run reopens the same draft: the scoring screen resumes it with exactly the scores the
  database holds (checked against the database as the kill left it).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from fieldtui.domain.ledger import StationInput
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import open_store
from tests.support.counts import count, seed
from tests.support.env import PYTHON, subprocess_env
from tests.sync.helpers import make_settings

CHILD = Path(__file__).with_name("entry_child.py")
KILLS = count(6, 200)
STATIONS = count(12, 40)  # enough that 200 runs do not complete them all

pytestmark = [pytest.mark.slow, pytest.mark.timeout(count(300, 3600))]


def database(home: Path) -> dict[str, Any]:
    """integrity, and per station its open draft (id, scores) and its completed visits."""
    conn = sqlite3.connect(home / DB_NAME)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        drafts: dict[int, tuple[int, dict[int, float | None]]] = {}
        complete: dict[int, set[int]] = defaultdict(set)
        scores: dict[int, dict[int, float | None]] = defaultdict(dict)
        for aid, item, score in conn.execute(
            "SELECT assessment_id, item, score FROM item_scores WHERE score IS NOT NULL"
        ):  # (a cleared score is a row without a score: the same as no row)
            scores[aid][item] = score
        for aid, sid, status in conn.execute("SELECT id, station_id, status FROM assessments"):
            if status == "draft":
                drafts[sid] = (aid, scores.get(aid, {}))
            else:
                complete[sid].add(aid)
        return {"ok": ok, "drafts": drafts, "complete": complete, "scores": scores}
    finally:
        conn.close()


def read_log(path: Path) -> list[dict[str, Any]]:
    """Whole lines only: a line cut by the kill is the last one and was never acted on."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def check_run(lines: list[dict[str, Any]], before: dict[str, Any], after: dict[str, Any]) -> int:
    """The checks of one killed run; returns how many saved scores it logged."""
    assert after["ok"] == "ok", after["ok"]
    saved = 0
    # Per (station, item): the last value shown saved, and the values keyed after it.
    last_saved: dict[tuple[int, int], float | None] = {}
    later: dict[tuple[int, int], set[float | None]] = defaultdict(set)
    intended: dict[tuple[int, int], set[float | None]] = defaultdict(set)
    aid_of: dict[int, int] = {}
    for line in lines:
        kind = line["k"]
        if kind == "resumed":
            sid = line["station"]
            draft = before["drafts"].get(sid)
            shown = {int(k): v for k, v in line["scores"].items() if v is not None}
            if draft is None:
                assert line["aid"] is None and shown == {}, (line, "no draft to resume")
            else:
                # The app reopens on the same draft, showing what the database holds.
                assert line["aid"] == draft[0] and shown == draft[1], (line, draft)
            for item, v in shown.items():
                intended[(sid, item)].add(v)
                last_saved[(sid, item)] = v
        elif kind == "intent":
            for k, v in line["values"].items():
                key = (line["station"], int(k))
                intended[key].add(v)
                later[key].add(v)
        elif kind == "saved":
            key = (line["station"], line["item"])
            last_saved[key] = line["score"]
            later[key] = set()
            aid_of[line["station"]] = line["aid"]
            saved += 1
        elif kind == "completed":
            assert line["aid"] in after["complete"][line["station"]], line
            aid_of.pop(line["station"], None)
    for sid, aid in aid_of.items():
        stored = after["scores"].get(aid, {})
        for (s, item), value in last_saved.items():
            if s != sid:
                continue
            got = stored.get(item)
            assert got == value or got in later[(s, item)], (
                f"station {sid} item {item}: shown saved as {value}, the database has {got} "
                f"(keyed later: {later[(s, item)]})"
            )
        for item, got in stored.items():  # nothing that was never keyed
            assert got in intended[(sid, item)], (sid, item, got)
    return saved


def test_killed_mid_entry_loses_nothing_shown_saved(tmp_path: Path) -> None:
    rng = random.Random(seed(1))
    home = tmp_path / "home"
    make_settings(home)
    with open_store(home) as store:
        ids = [store.stations.add(StationInput(name=f"第{i:02d}村退役军人服务站"))
               for i in range(STATIONS)]  # fmt: skip
    total_saved = killed = 0
    for i in range(KILLS):
        before = database(home)
        log = tmp_path / f"run{i}.log"
        proc = subprocess.Popen(
            [PYTHON, str(CHILD), str(home), str(log), str(rng.randrange(1 << 30)), *map(str, ids)],
            env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        end = time.monotonic() + 60
        while not any(x["k"] == "ready" for x in read_log(log)):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < end, "the app did not start"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL, (
            proc.stderr.read().decode() if proc.stderr else ""
        )
        lines = read_log(log)
        total_saved += check_run(lines, before, database(home))
    assert killed == KILLS
    assert total_saved >= KILLS * 5, f"only {total_saved} scores were shown saved"
    final = database(home)
    done = sum(len(v) for v in final["complete"].values())
    print(
        f"{KILLS} kills mid-entry: {total_saved} scores shown saved, all found; "
        f"{done} visits completed, {len(final['drafts'])} draft(s) resumed intact"
    )

"""End to end in a real terminal: ``python -m fieldtui`` under tmux, driven with send-keys.

The app is started on an empty temporary home with today frozen (FIELDTUI_TODAY); the demo is
loaded from the first-start dialog; the ledger, the filter, the station form and the plan are
used with keys; the new station is scored (picked by pinyin, fill, one deduction with a note,
complete, confirm); then the app quits and the database is checked with the CLI.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import PYTHON, run_cli
from tests.support.tmux_shell import AppInShell

pytestmark = pytest.mark.slow


@pytest.fixture
def tmux_app(home: Path) -> Iterator[AppInShell]:
    with AppInShell(home, home.parent / "shell", width=100, height=30, pace=0.1,
                    FIELDTUI_TODAY="2023-06-10") as t:  # fmt: skip
        yield t


def test_officer_session_in_a_real_terminal(tmux_app: AppInShell, home: Path) -> None:
    t = tmux_app
    t.wait_for("欢迎使用")
    t.keys("d")  # load the demo township
    t.wait_for("服务站 24")
    t.wait_for("下一个报送截止：二季度")

    # Ledger: filter by pinyin, clear, then add a station with the form.
    t.keys("F3")
    t.wait_for("共 24 个服务站")
    t.keys("/")
    t.type("yf")
    screen = t.wait_for("显示 2 / 24")
    assert "永丰村" in screen and "太平村" not in screen
    t.keys("Escape")
    t.wait_for("共 24 个服务站")
    t.keys("a")
    t.wait_for("新增服务站")
    t.type("测试村退役军人服务站")
    for _ in range(5):
        t.keys("Tab")
    time.sleep(0.3)  # focus moves to the phone field on the tab's turn, not on arrival
    t.type("13912345678")
    t.keys("C-s")
    t.wait_for("共 25 个服务站")

    # Plan: the first row (planned for March) moves one month later.
    t.keys("F4")
    t.wait_for("计划达标月份")
    t.keys("Right")
    time.sleep(0.3)

    # Help and back.
    t.keys("F1")
    t.wait_for("帮助：推进计划")
    t.keys("Escape")
    time.sleep(0.3)

    # Scoring: pick the new station by its pinyin initials, fill every item with full marks,
    # take item 7 to zero with a note, complete and confirm.
    t.keys("F5")
    t.wait_for("选择服务站")
    t.type("csc")
    t.wait_for("测试村退役军人服务站")
    t.keys("Enter")
    t.wait_for("每项满分或0分")
    t.keys("f")
    t.wait_for("已评 57/57")
    t.keys("g")
    t.type("7")
    t.keys("n")
    t.wait_for("合计 97")
    t.keys("g")
    t.type("7")
    t.keys("m")
    time.sleep(0.3)
    t.type("经费未专款专用")
    t.keys("Enter")
    time.sleep(0.3)
    t.keys("c")
    time.sleep(0.3)
    t.keys("Enter")
    t.wait_for("已完成")
    t.keys("C-q")
    status = t.wait_exit()
    assert status == 0, f"exit status {status}; the screen was:\n{t.screen()}"

    # The database, read back through the CLI.
    out = run_cli("ledger", "list", "--json", home=home)
    assert out.returncode == 0, out.stderr
    stations = json.loads(out.stdout)["stations"]
    assert len(stations) == 25
    added = next(s for s in stations if s["name"] == "测试村退役军人服务站")
    assert added["phone"] == "13912345678"
    out = run_cli("plan", "show", "--json", home=home)
    assert out.returncode == 0, out.stderr
    plan = {s["name"]: s["month"] for s in json.loads(out.stdout)["stations"]}
    march = [name for name, month in plan.items() if month == "2023-03"]
    april = [name for name, month in plan.items() if month == "2023-04"]
    # The demo plans two stations for March; one of them was moved to April.
    assert len(march) == 1 and len(april) >= 1
    q2 = json.loads(run_cli("progress", "--quarter", "2023Q2", "--json", home=home).stdout)
    assert q2["periods"][0]["stations"] == 25
    db = sqlite3.connect(home / "fieldtui.sqlite3")
    (aid, status, total, passed) = db.execute(
        "SELECT a.id, a.status, a.total, a.passed FROM assessments a JOIN stations s "
        "ON s.id = a.station_id WHERE s.name = '测试村退役军人服务站'"
    ).fetchone()
    assert (status, total, passed) == ("complete", 97.0, 1)
    assert db.execute(
        "SELECT score, note FROM item_scores WHERE assessment_id=? AND item=7", (aid,)
    ).fetchone() == (0.0, "经费未专款专用")
    backups = list((home / "backups").glob("*-quit.sqlite3"))
    assert len(backups) == 1
    assert PYTHON  # the CLI ran with the same interpreter as the app

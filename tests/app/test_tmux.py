"""End to end in a real terminal: ``python -m fieldtui`` under tmux, driven with send-keys.

The app is started on an empty temporary home with today frozen (FIELDTUI_TODAY); the demo is
loaded from the first-start dialog; the ledger, the filter, the station form and the plan are
used with keys; the new station is scored (picked by pinyin, fill, one deduction with a note,
complete, confirm); then the app quits and the database is checked with the CLI.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import PYTHON, REPO, run_cli, subprocess_env

pytestmark = pytest.mark.slow


class Tmux:
    """One tmux server on a private socket, one window running one command."""

    def __init__(self, command: str, width: int = 100, height: int = 30) -> None:
        self.socket = f"fieldtui-test-{uuid.uuid4().hex[:8]}"
        self.session = "app"
        # The pane stays after the app exits, so its last screen can still be read.
        self._tmux("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
                   "-e", "TERM=xterm-256color", command)  # fmt: skip
        self._tmux("set-option", "-t", self.session, "remain-on-exit", "on")

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session).stdout

    def keys(self, *keys: str) -> None:
        """Named keys one by one, at a brisk typist's pace."""
        for key in keys:
            self._tmux("send-keys", "-t", self.session, key)
            time.sleep(0.1)

    def type(self, text: str) -> None:
        """Text in one burst, as a paste or an input method delivers it."""
        self._tmux("send-keys", "-t", self.session, "-l", text)
        time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; the screen was:\n{screen}")

    def wait_exit(self, status_file: Path, timeout: float = 20) -> int:
        """The app's exit status, written by the shell that ran it.

        (tmux 3.3 does not always reap a pane's process promptly, so the pane's own exit status
        is not reliable here.)
        """
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = status_file.read_text().strip() if status_file.exists() else ""
            if text:
                return int(text)
            time.sleep(0.1)
        raise AssertionError(f"the app did not exit; the screen was:\n{self.screen()}")

    def kill(self) -> None:
        self._tmux("kill-server")


@pytest.fixture
def tmux_app(home: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is required for the end-to-end test")
    env = subprocess_env(FIELDTUI_TODAY="2023-06-10")
    exports = " ".join(
        f"{k}={shlex.quote(env[k])}" for k in ("PYTHONPATH", "FIELDTUI_TODAY", "FIELDTUI_HOME")
    )
    command = (
        f"cd {shlex.quote(str(REPO))} && env {exports} "
        f"{shlex.quote(PYTHON)} -m fieldtui --home {shlex.quote(str(home))}; "
        f"echo $? > {shlex.quote(str(home.parent / 'exit-status'))}"
    )
    t = Tmux(command)
    try:
        yield t
    finally:
        t.kill()


def test_officer_session_in_a_real_terminal(tmux_app: Tmux, home: Path) -> None:
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
    status = t.wait_exit(home.parent / "exit-status")
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

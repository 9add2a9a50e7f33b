"""Terminal signals (issue 5, item 15): SIGTERM and SIGHUP to the app in a real terminal.

The real app runs from a shell in a tmux pane (tests/support/tmux_shell.py). An officer keys
scores on the scoring screen (each handed to the background writer, shown pending, then saved)
or moves plan months (each committed at once); once the last key's change is on the screen,
after a seeded random pause, the app gets SIGTERM or SIGHUP, alternately, at ``count(4, 20)``
points. Every time:

- it exits within 2 seconds, with status 128 + the signal;
- the terminal is as it was before the app started: ``stty`` (canonical mode, echo, signals, CR/NL
  handling) the same; tmux sees no alternate screen, no mouse reporting, the cursor shown;
- the last keystroke is saved (every score the screen counted, pending ones included, is in the
  database), nothing else is lost (integrity check), and the database was backed up as on a
  normal quit.

A real hangup (the terminal window closed: the pty's other end goes away, the kernel sends
SIGHUP) is tested on a pseudo-terminal that is the app's controlling terminal.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from fieldtui.campaigns import active
from fieldtui.demo import fill_demo
from fieldtui.store.backup import list_backups
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import open_store
from tests.support.counts import count, seed
from tests.support.pty_app import ALT_SCREEN_ON, start_app
from tests.support.tmux_shell import AppInShell

POINTS = count(4, 20)
TODAY = "2023-06-10"
RESTORED_MODES = {"alternate_on": "0", "mouse_any_flag": "0", "mouse_all_flag": "0",
                  "mouse_button_flag": "0", "mouse_standard_flag": "0", "mouse_sgr_flag": "0",
                  "mouse_utf8_flag": "0", "cursor_flag": "1"}  # fmt: skip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(count(300, 1200))]


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import datetime as dt

    home = tmp_path_factory.mktemp("signals") / "home"
    with open_store(home) as store:
        fill_demo(store, active(home), 24, today=dt.date.fromisoformat(TODAY))
    return home


def plan(home: Path) -> dict[int, str]:
    conn = sqlite3.connect(home / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(conn.execute("SELECT station_id, month FROM plan").fetchall())
    finally:
        conn.close()


def later(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def key_shown(t: AppInShell, key: str, timeout: float = 10) -> None:
    """Press ``key`` and wait until the screen changed because of it."""
    before = t.screen()
    t.keys(key)
    end = time.monotonic() + timeout
    while t.screen() == before:
        if time.monotonic() > end:
            raise AssertionError(f"{key} changed nothing on the screen:\n{before}")
        time.sleep(0.01)


def scored_on_screen(t: AppInShell, settle: float = 0.3, timeout: float = 10) -> int:
    """The count the screen shows once it has stopped changing: a capture can fall between the
    frame that marks the row and the one that updates the totals."""
    end = time.monotonic() + timeout
    screen = t.screen()
    while True:
        time.sleep(settle)
        again = t.screen()
        if again == screen or time.monotonic() > end:
            break
        screen = again
    m = re.search(r"scored (\d+)/57", screen)
    assert m is not None, screen
    return int(m.group(1))


def draft_scores(home: Path, station: int) -> int:
    conn = sqlite3.connect(home / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(conn.execute(
            "SELECT count(*) FROM item_scores i JOIN assessments a ON a.id = i.assessment_id "
            "WHERE a.station_id=? AND a.status='draft' AND i.score IS NOT NULL", (station,)
        ).fetchone()[0])  # fmt: skip
    finally:
        conn.close()


def test_sigterm_and_sighup_quit_cleanly_in_a_real_terminal(township: Path, tmp_path: Path) -> None:
    rng = random.Random(seed(15))
    first_rows = sorted(plan(township).items(), key=lambda kv: (kv[1], kv[0]))
    worst = 0.0
    for i in range(POINTS):
        sig = signal.SIGTERM if i % 2 == 0 else signal.SIGHUP
        area = "scoring" if (i // 2) % 2 == 0 else "plan"
        home = tmp_path / f"home{i}"
        shutil.copytree(township, home)
        before = plan(home)
        backups = len(list_backups(home / DB_NAME))
        moves = rng.randint(1, 3)
        with AppInShell(home, tmp_path / f"run{i}", "--lang", "en", FIELDTUI_TODAY=TODAY) as t:
            t.wait_for("Stations")
            if area == "scoring":  # the first station's draft: scores through the writer
                t.keys("F5")
                t.wait_for("Pick a station")
                t.keys("Enter")
                t.wait_for("Resumed draft")
                for _ in range(rng.randint(1, 6)):
                    key_shown(t, "y")
                shown = scored_on_screen(t)  # pending writes included: what the officer saw
            else:
                t.keys("F4")
                t.wait_for("Month later")
                for k in range(moves):  # the first rows, each one month later
                    if k:
                        t.keys("Down")
                    key_shown(t, "l")
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(t.pid(), sig)
            start = time.monotonic()
            status = t.wait_exit(10)
            took = time.monotonic() - start
            assert status == 128 + sig, (sig, status, t.screen())
            assert took <= 2.0, f"{signal.Signals(sig).name}: exit took {took:.2f} s"
            worst = max(worst, took)
            assert t.stty_after() == t.stty_before(), (t.stty_before(), t.stty_after())
            modes = t.modes()
            assert {k: modes[k] for k in RESTORED_MODES} == RESTORED_MODES, modes
        if area == "scoring":
            assert draft_scores(home, 1) == shown, "the last keystrokes were not all saved"
            assert plan(home) == before
        else:
            after = plan(home)
            moved = {sid for sid, _m in first_rows[:moves]}
            assert {sid: after[sid] for sid in moved} == {sid: later(before[sid]) for sid in moved}
            assert {s: m for s, m in after.items() if s not in moved} == {
                s: m for s, m in before.items() if s not in moved
            }
        assert len(list_backups(home / DB_NAME)) == backups + 1  # backed up as on a quit
    print(f"{POINTS} signals (SIGTERM/SIGHUP): slowest exit {worst:.2f} s")


def test_a_closed_terminal_window_hangs_up_the_app_cleanly(township: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(township, home)
    before = plan(home)
    first = min(before.items(), key=lambda kv: (kv[1], kv[0]))[0]
    app = start_app(home, "--lang", "en", FIELDTUI_TODAY=TODAY)
    try:
        assert app.read_until(ALT_SCREEN_ON) and app.read_until(b"Stations")
        app.send(b"\x1bOS")  # F4
        assert app.read_until(b"Month later")
        app.send(b"l")
        time.sleep(0.5)
        os.close(app.master)  # the window closes: the kernel hangs up the terminal
        start = time.monotonic()
        app.proc.wait(10)
        took = time.monotonic() - start
    finally:
        app.close()
    assert app.proc.returncode == 128 + signal.SIGHUP and took <= 2.0, (app.proc.returncode, took)
    assert plan(home)[first] == later(before[first])
    assert len(list_backups(home / DB_NAME)) == 1

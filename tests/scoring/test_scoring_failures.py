"""A write that fails is shown as not saved, keeps its value, is retried by a key, and the app
keeps running. Real failures: a read-only connection, and a file-size limit (a full disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fieldtui.screens.scoring_modals import ConfirmModal
from fieldtui.store.store import open_store
from tests.scoring.conftest import Harness, pick, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]


def scores_in_store(home: Path, aid: int | None) -> dict[int, float]:
    assert aid is not None
    with open_store(home) as store:
        return store.assessments.require(aid).scores


async def test_failed_write_is_shown_kept_and_retried(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        screen = app.scoring
        await pilot.press("y")
        await settle(pilot)
        aid = screen.handle.aid if screen.handle else None
        assert screen.writer is not None
        screen.writer.conn.execute("PRAGMA query_only=ON")  # every write now fails in SQLite

        await pilot.press("n")  # item 2 -> 0: refused by the database
        await settle(pilot)
        assert screen.marks == {2: "failed"}
        assert screen.scores[2] == 0.0, "the value is kept for the retry"
        text = screen_text(app)
        assert "✗未保存" in text, "the row says it is not saved"
        assert "未保存！第 2 项" in text and "1 项未保存 · r 重试" in text
        assert scores_in_store(home, aid) == {1: 1.0}

        await pilot.press("f", "c")  # more failures; completing is refused
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert "有更改未保存，不能完成" in screen_text(app)
        assert len(screen.marks) == 56 and set(screen.marks.values()) == {"failed"}

        screen.writer.conn.execute("PRAGMA query_only=OFF")  # the disk is back
        await pilot.press("r")
        await settle(pilot)
        assert screen.marks == {}
        assert "未保存" not in screen_text(app)
        stored = scores_in_store(home, aid)
        assert len(stored) == 57 and stored[2] == 0.0

        await pilot.press("c", "enter")  # and the app carries on
        await settle(pilot)
        assert screen.visit is not None and screen.visit.complete


async def test_leaving_with_unsaved_changes_asks_first(home: Path) -> None:
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        screen = app.scoring
        await pilot.press("y")
        await settle(pilot)
        assert screen.writer is not None
        screen.writer.conn.execute("PRAGMA query_only=ON")
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("p", *"cl", "enter")
        assert isinstance(app.screen, ConfirmModal)
        assert "1 change(s) of this visit are not in the database" in screen_text(app)
        await pilot.press("n")
        assert screen.station is not None and screen.station.name.startswith("永丰")
        assert screen.marks == {2: "failed"}


FULL_DISK = textwrap.dedent(
    """
    import asyncio, json, resource, signal, sys
    from pathlib import Path

    sys.path.insert(0, sys.argv[2])
    from tests.scoring.conftest import Harness, settle

    async def main() -> None:
        app = Harness(Path(sys.argv[1]))
        out = {}
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.scoring
            screen.open_station(1)
            await pilot.pause()
            await pilot.press("y", "y")
            await settle(pilot)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))  # as good as a full disk
            await pilot.press("f")
            await settle(pilot)
            out["failed"] = sorted(n for n, m in screen.marks.items() if m == "failed")
            out["status"] = screen._status_text
            out["scored_on_screen"] = len(screen.scores)
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            await pilot.press("r")
            await settle(pilot)
            out["after_retry"] = dict(screen.marks)
            out["aid"] = screen.handle.aid
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not hasattr(os, "setpgid"), reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_marks_rows_not_saved_and_retry_writes_them(home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(home), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["failed"] == list(range(3, 58)), "the fill could not be written"
    assert "未保存" in out["status"]
    assert out["scored_on_screen"] == 57, "the values stayed on screen for the retry"
    assert out["after_retry"] == {}
    with open_store(home) as store:
        assert len(store.assessments.require(out["aid"]).scores) == 57


async def test_a_database_that_cannot_be_opened_for_writing_is_not_a_crash(home: Path) -> None:
    """The writer opens its own connection at the first change; if that fails (here the file is
    gone and a directory stands in its place), the change is kept and shown as not saved."""
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        screen = app.scoring
        assert screen.writer is None, "no connection is opened just to look"
        db = app.store.path
        moved = db.with_name("moved.sqlite3")
        db.rename(moved)
        db.mkdir()
        await pilot.press("y")
        await settle(pilot)
        assert screen.marks == {1: "failed"}
        assert "NOT SAVED! Item 1" in screen_text(app)
        db.rmdir()
        moved.rename(db)
        await pilot.press("r")
        await settle(pilot)
        assert screen.marks == {}
        aid = screen.handle.aid if screen.handle else None
    assert scores_in_store(home, aid) == {1: 1.0}

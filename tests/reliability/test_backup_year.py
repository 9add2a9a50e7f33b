"""A scripted year of backups (issue 5, item 17).

An officer's database from last year's fieldtui (schema version 1) is opened by the app: it is
backed up before the migration. Then, month by month from March to December, visits are scored
with ``fieldtui assess`` and the app is opened and quit (Ctrl+Q), which backs the database up;
in December a visit is also corrected (a revision) between two more sessions. The app keeps the
newest ``backup.keep`` (10) backups.

Every backup the app made is then restored, with ``fieldtui restore``, into a successor's fresh
home: each holds exactly what was saved up to the moment it was made — every score, note, visit
and revision — nothing missing, nothing later; the pre-migration one restores last year's data and
is migrated on restore. Backups beyond the newest 10 were removed, oldest first.

(``fieldtui backup DEST`` to a stick and ``restore`` with its confirmation and the copy kept aside
are tested in tests/cli/test_backup_cli.py; killed backups and restores in test_kill_backup.py;
the warning about removable or network storage in tests/app/test_frame.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from fieldtui.app import FieldApp
from fieldtui.campaigns import active
from fieldtui.cli import main
from fieldtui.domain.ledger import StationInput
from fieldtui.store.assessments import Assessments
from fieldtui.store.backup import list_backups
from fieldtui.store.db import DB_NAME, connect
from fieldtui.store.migrations import MIGRATIONS
from fieldtui.store.stations import Stations
from tests.sync.helpers import make_settings

STATIONS = [f"{name}村退役军人服务站" for name in
            ("青龙", "白云", "石桥", "高峰", "红星", "永丰", "长乐", "新华")]  # fmt: skip
MONTHS = [f"2023-{m:02d}" for m in range(3, 13)]

pytestmark = pytest.mark.slow


def state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything an officer saved: visits, their scores and notes, revisions, the ledger."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "stations": conn.execute("SELECT id, name FROM stations ORDER BY id").fetchall(),
            "visits": conn.execute(
                "SELECT id, station_id, date, status, revises, reason, total FROM assessments "
                "ORDER BY id"
            ).fetchall(),
            "scores": conn.execute(
                "SELECT assessment_id, item, score, note FROM item_scores "
                "ORDER BY assessment_id, item"
            ).fetchall(),
        }
    finally:
        conn.close()


def last_years_database(home: Path) -> None:
    """A version-1 database (before batches existed) with the ledger and a first visit."""
    import sqlite_utils

    home.mkdir(parents=True, exist_ok=True)
    conn = connect(home / DB_NAME, migrate=False)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version=1")
    campaign = active(home)
    stations = Stations(conn)
    ids = [stations.add(StationInput(name=n, contact="王国明", phone="13912345678"))
           for n in STATIONS]  # fmt: skip
    visits = Assessments(conn)
    aid = visits.create(ids[0], campaign, dt.date(2023, 3, 2), "冉小明")
    visits.set_scores(aid, campaign, {it.number: it.max for it in campaign.items})
    visits.complete(aid, campaign)
    conn.close()


def sheet(tmp: Path, month: int, k: int) -> Path:
    """A score sheet: full marks except a few items, and a note; differs per month."""
    campaign = active(None)
    scores = {str(it.number): it.max for it in campaign.items}
    for n in (month % 50 + 1, (month * 7 + k) % 57 + 1):
        scores[str(n)] = 0
    path = tmp / f"sheet-{month}-{k}.json"
    path.write_text(json.dumps({"scores": scores, "notes": {"6": f"{month}月走访记录{k}"}}),
                    encoding="utf-8")  # fmt: skip
    return path


def cli(home: Path, *args: str) -> None:
    assert main(["--home", str(home), "--lang", "en", *args]) == 0, args


async def open_and_quit(home: Path, today: dt.date) -> None:
    app = FieldApp(home, "en", today=today, blink=False, check_storage=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
    assert app.backup_error is None


def restored(backup: Path, successor: Path) -> dict[str, list[tuple[object, ...]]]:
    """Restore ``backup`` into a successor's fresh home (with its own start-up database)."""
    shutil.rmtree(successor, ignore_errors=True)
    make_settings(successor)
    cli(successor, "ledger", "list")  # the successor's own (empty) database exists first
    cli(successor, "restore", str(backup), "--yes")
    return state(successor / DB_NAME)


async def test_every_backup_of_a_year_restores_what_was_saved(tmp_path: Path) -> None:
    home = tmp_path / "officer"
    make_settings(home)
    last_years_database(home)
    before_migration = state(home / DB_NAME)
    db = home / DB_NAME
    successor = tmp_path / "successor"

    # The first start migrates: the backup made before it holds last year's database.
    await open_and_quit(home, dt.date(2023, 3, 5))
    pre = [p for p in list_backups(db) if "premigrate" in p.name]
    assert len(pre) == 1 and sqlite3.connect(pre[0]).execute(
        "PRAGMA user_version").fetchone()[0] == 1  # fmt: skip
    assert restored(pre[0], successor) == before_migration
    assert sqlite3.connect(successor / DB_NAME).execute(
        "PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)  # fmt: skip

    expected: dict[str, dict[str, list[tuple[object, ...]]]] = {}
    quits = [b for b in list_backups(db) if b.name.endswith("-quit.sqlite3")]
    expected[quits[-1].name] = state(db)
    sessions = [(m, 0) for m in MONTHS] + [("2023-12", 1), ("2023-12", 2)]
    for i, (month, extra) in enumerate(sessions):
        m = int(month[5:])
        day = dt.date(2023, m, 10 + extra)
        for k, station in enumerate(STATIONS[(i % 4) * 2 : (i % 4) * 2 + 2]):
            cli(home, "assess", station, "--date", day.isoformat(), "--from",
                str(sheet(tmp_path, m * 10 + extra, k)), "--complete")  # fmt: skip
        if extra == 1:  # a correction of the first visit of the year
            cli(home, "assess", STATIONS[0], "--revises", "1", "--reason", "复核更正",
                "--from", str(sheet(tmp_path, 99, 0)), "--complete")  # fmt: skip
        await open_and_quit(home, day)
        newest = list_backups(db)[-1]
        assert newest.name.endswith("-quit.sqlite3")
        expected[newest.name] = state(db)

    kept = list_backups(db)
    made = sorted(expected) + [p.name for p in pre]
    assert len(made) == 1 + 1 + len(sessions)  # pre-migration, first start, 12 sessions
    assert [p.name for p in kept] == sorted(made)[-10:], "not the newest 10 kept"
    for backup in kept:
        got = restored(backup, successor)
        want = expected[backup.name]
        assert got == want, f"{backup.name}: restored state differs from what was saved then"
    # The year really moved on: the first kept backup lacks what the last one holds.
    assert len(expected[kept[0].name]["visits"]) < len(expected[kept[-1].name]["visits"])
    revisions = [v for v in expected[kept[-1].name]["visits"] if v[4] is not None]
    assert revisions and revisions[0][5] == "复核更正"


async def test_the_quit_backup_holds_the_last_keystrokes(tmp_path: Path) -> None:
    """Scores keyed on the scoring screen right up to Ctrl+Q are all in the backup made on quit
    (the screen's writer finishes its queue before the app backs up)."""
    home = tmp_path / "officer"
    make_settings(home)
    from fieldtui.store.store import open_store

    with open_store(home) as store:
        sid = store.stations.add(StationInput(name=STATIONS[0]))
    app = FieldApp(home, "en", today=dt.date(2023, 6, 20), blink=False, check_storage=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_scoring(sid)
        await pilot.pause()
        await pilot.press(*"y" * 30, *"n" * 10, "ctrl+q")
    (backup,) = list_backups(home / DB_NAME)
    assert state(backup) == state(home / DB_NAME)
    assert len(state(backup)["scores"]) == 40

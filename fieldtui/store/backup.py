"""Backups with SQLite's online backup API: on quit, before every migration, and on demand.

A backup is written to a temporary name, checked, synced and only then renamed, so a kill during a
backup never leaves a half file under a backup's name. The app keeps the last ``keep`` backups.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from fieldtui.store.db import StoreError
from fieldtui.store.timeutil import now

BACKUP_DIR = "backups"
PREFIX = "fieldtui-"
SUFFIX = ".sqlite3"


def backup_file(src: Path | sqlite3.Connection, dest: Path) -> Path:
    """Copy the live database ``src`` (a path or an open connection) to ``dest`` atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    own = not isinstance(src, sqlite3.Connection)
    source = src if isinstance(src, sqlite3.Connection) else sqlite3.connect(src)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            # The copy must be a plain file on its own: no WAL left beside it.
            target.execute("PRAGMA journal_mode=DELETE")
            ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            target.close()
        if ok != "ok":
            raise StoreError(f"backup {dest}: integrity check failed ({ok})")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if own:
            source.close()
    return dest


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / BACKUP_DIR


def list_backups(db_path: Path) -> list[Path]:
    d = backup_dir(db_path)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.startswith(PREFIX) and p.suffix == SUFFIX)


def rotating_backup(src: Path | sqlite3.Connection, db_path: Path, reason: str, keep: int) -> Path:
    """A timestamped backup in ``backups/`` beside the database, keeping the newest ``keep``."""
    stamp = now().strftime("%Y%m%d-%H%M%S-%f")
    dest = backup_dir(db_path) / f"{PREFIX}{stamp}-{reason}{SUFFIX}"
    backup_file(src, dest)
    for old in list_backups(db_path)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return dest


def backup_before_migration(db_path: Path, version: int, keep: int = 10) -> Path:
    return rotating_backup(db_path, db_path, f"v{version}-premigrate", keep)


def check_backup(path: Path) -> None:
    """Refuse a file that is not a whole fieldtui database this version can read."""
    from fieldtui.store.migrations import MIGRATIONS

    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise StoreError(f"{path}: not a SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise StoreError(f"{path}: integrity check failed ({ok})")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: unreadable database ({exc})") from None
    finally:
        conn.close()
    if "stations" not in tables or version < 1:
        raise StoreError(f"{path}: not a fieldtui database")
    if version > len(MIGRATIONS):
        raise StoreError(f"{path}: made by a newer fieldtui (version {version})")


def restore_from(live: sqlite3.Connection, live_path: Path, src: Path, keep: int = 10) -> Path:
    """Replace the live database with ``src`` after checking it; the current one is kept first."""
    check_backup(src)
    kept = rotating_backup(live, live_path, "pre-restore", keep=max(keep, 1) + 1)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        source.backup(live)  # one transaction on the live database: all or nothing
    finally:
        source.close()
    from fieldtui.store.db import run_migrations
    from fieldtui.store.migrations import MIGRATIONS

    version = live.execute("PRAGMA user_version").fetchone()[0]
    if version < len(MIGRATIONS):
        run_migrations(live, version)
    return kept

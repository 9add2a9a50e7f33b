"""The SQLite connection: durable pragmas, explicit transactions, migrations on ``user_version``.

Every change the screen shows as saved has been committed with WAL and ``synchronous=FULL``
first: a killed process or a power cut loses nothing it showed as saved. The pragmas are checked
by a test (tests/reliability) so nobody can quietly trade durability for speed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fieldtui.domain.errors import Refusal
from fieldtui.store.migrations import MIGRATIONS

DB_NAME = "fieldtui.sqlite3"


class StoreError(Refusal):
    """A write that did not happen. The message says what; nothing was changed."""


def _pragmas(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")


def connect(
    path: Path | str,
    *,
    migrate: bool = True,
    before_migrate: Callable[[Path, int], None] | None = None,
) -> sqlite3.Connection:
    """Open (and create or migrate) the database at ``path``.

    ``before_migrate(path, version)`` runs before a migration touches an existing database
    (the backup hook).
    """
    p = Path(path)
    conn = sqlite3.connect(p, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    _pragmas(conn)
    if migrate:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            conn.close()
            raise StoreError(
                f"{p}: database version {version} is newer than this fieldtui "
                f"({len(MIGRATIONS)}); upgrade fieldtui"
            )
        if version < len(MIGRATIONS):
            if version > 0 and before_migrate is not None:
                before_migrate(p, version)
            run_migrations(conn, version)
    return conn


def run_migrations(conn: sqlite3.Connection, version: int) -> None:
    """Apply each pending migration in its own transaction, bumping ``user_version`` with it."""
    import sqlite_utils  # only when migrating: keeps it off the start-up path

    db = sqlite_utils.Database(conn)
    for number in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](db)
            conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error. Not reentrant."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

"""The store facade: one connection, the repositories on it, and where the file lives."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from fieldtui.store.assessments import Assessments
from fieldtui.store.batches import Batches
from fieldtui.store.db import DB_NAME, connect
from fieldtui.store.plan import Plan
from fieldtui.store.reviews import Reviews
from fieldtui.store.stations import Stations


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.stations = Stations(conn)
        self.plan = Plan(conn)
        self.assessments = Assessments(conn)
        self.batches = Batches(conn)
        self.reviews = Reviews(conn)
        self._outside_writes = 0

    def revision(self) -> int:
        """A number that changes whenever the database has changed (cheap: one pragma).

        Screens compare it with the one they last drew to skip rebuilding unchanged tables.
        It counts this connection's changes and, through ``PRAGMA data_version``, every commit
        made by another connection: the scoring screen's writer thread, an import on a worker,
        a ``fieldtui`` command run in another window. (:meth:`touch` is for changes that reach
        the database some other way, e.g. a file restored over it.)
        """
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        return self.conn.total_changes + int(version) + self._outside_writes

    def touch(self) -> None:
        """Note that another connection (a worker thread, an import) changed the database."""
        self._outside_writes += 1

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(home: Path, *, before_migrate: Callable[[Path, int], None] | None = None) -> Store:
    """Open the database in ``home`` (created if missing), migrating it if needed."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / DB_NAME
    return Store(connect(path, before_migrate=before_migrate), path)

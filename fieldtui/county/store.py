"""The county centre's database: registered townships, their tokens (hashes only), received batches.

Its own SQLite file in the county home (``county.sqlite3``), WAL with ``synchronous=FULL`` like the
township store, migrated on ``PRAGMA user_version`` one transaction per step. Received batches are
append-only: the exact body bytes, their SHA-256 and the receipt are written in one transaction
before the server answers, and the database refuses to change or delete them afterwards. A UNIQUE
index on the batch id makes deduplication hold across threads and processes (the server and a
``county import`` running at the same time).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldtui.domain.batch import BatchSummary, canonical
from fieldtui.domain.errors import Refusal
from fieldtui.domain.filenames import name_key

DB_NAME = "county.sqlite3"
UNIT_MAX = 60  # the batch schema's limit for ``unit``


class CountyStoreError(Refusal):
    """A county database change refused; nothing was written."""


class ConflictingFile(Refusal):
    """The batch already has a file of this name with other bytes."""

    def __init__(
        self, batch_id: str, name: str, stored_sha256: str, *, asked: str | None = None
    ) -> None:
        self.batch_id = batch_id
        self.name = name
        self.stored_sha256 = stored_sha256
        same = (
            ""
            if asked in (None, name)
            else f" (names differing only in case are one name: {asked})"
        )
        super().__init__(
            f"batch {batch_id} already has a file {name} with other content "
            f"(sha256 {stored_sha256[:12]}…){same}; a new scan needs a new name"
        )


class ConflictingBatch(Refusal):
    """The batch id is already stored with another digest."""

    def __init__(self, batch_id: str, stored_digest: str) -> None:
        self.batch_id = batch_id
        self.stored_digest = stored_digest
        super().__init__(
            f"batch {batch_id} was already received with another content "
            f"(digest {stored_digest[:12]}…); a changed batch needs a new batch id"
        )


# ---------------------------------------------------------------------------------------------
# Migrations: append, never edit.


# Each is an SQL script run as one transaction with its user_version bump.
_M001_INITIAL = """
        CREATE TABLE units (
            name TEXT PRIMARY KEY,
            created TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            unit TEXT NOT NULL REFERENCES units(name),
            hash TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            revoked TEXT
        );
        CREATE INDEX tokens_unit ON tokens(unit);
        CREATE TABLE batches (
            seq INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL,
            digest TEXT NOT NULL,
            unit TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            period TEXT NOT NULL,
            supersedes TEXT,
            content_hash TEXT NOT NULL,
            sealed_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('push', 'import')),
            token_id INTEGER REFERENCES tokens(id),
            stations INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            size INTEGER NOT NULL,
            body BLOB NOT NULL,
            receipt TEXT NOT NULL
        );
        CREATE UNIQUE INDEX batches_batch_id ON batches(batch_id);
        CREATE INDEX batches_period ON batches(campaign_id, period, unit);
        CREATE TABLE batch_stations (
            batch_seq INTEGER NOT NULL REFERENCES batches(seq),
            station_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            visit_id INTEGER,
            total REAL,
            passed INTEGER,
            PRIMARY KEY (batch_seq, station_id)
        );
        CREATE TRIGGER batches_no_update BEFORE UPDATE ON batches
            BEGIN SELECT RAISE(ABORT, 'received batches are never changed'); END;
        CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches
            BEGIN SELECT RAISE(ABORT, 'received batches are never deleted'); END;
        CREATE TRIGGER batch_stations_no_update BEFORE UPDATE ON batch_stations
            BEGIN SELECT RAISE(ABORT, 'received batches are never changed'); END;
        CREATE TRIGGER batch_stations_no_delete BEFORE DELETE ON batch_stations
            BEGIN SELECT RAISE(ABORT, 'received batches are never deleted'); END;
"""

# The review side (issue 7): spot-check draws, re-scores, verdicts. All append-only.
_M002_REVIEW = """
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY,
            campaign_id TEXT NOT NULL,
            period TEXT NOT NULL,
            seed TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            record TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            drawn_at TEXT NOT NULL
        );
        CREATE INDEX samples_period ON samples(campaign_id, period);
        CREATE TABLE sample_stations (
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            position INTEGER NOT NULL,
            unit TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            station_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            visit_id INTEGER,
            total REAL,
            PRIMARY KEY (sample_id, unit, station_id)
        );
        CREATE INDEX sample_stations_station ON sample_stations(unit, station_id);
        CREATE TABLE workbook_stations (
            local_id INTEGER PRIMARY KEY,
            unit TEXT NOT NULL,
            station_id INTEGER NOT NULL,
            sample_id INTEGER REFERENCES samples(id),
            UNIQUE (unit, station_id)
        );
        CREATE TABLE rescores (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            unit TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            station_id INTEGER NOT NULL,
            visit_id INTEGER,
            campaign_id TEXT NOT NULL,
            rubric_hash TEXT NOT NULL,
            date TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            sheet TEXT NOT NULL,
            base REAL NOT NULL,
            bonus REAL NOT NULL,
            total REAL NOT NULL,
            passed INTEGER NOT NULL,
            workbook_id INTEGER NOT NULL UNIQUE,
            supersedes INTEGER REFERENCES rescores(id),
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX rescores_batch ON rescores(batch_id, station_id);
        CREATE TABLE verdicts (
            id INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            period TEXT NOT NULL,
            verdict TEXT NOT NULL
                CHECK (verdict IN ('accepted', 'returned', 'accepted_with_corrections')),
            reason TEXT NOT NULL DEFAULT '',
            stations TEXT NOT NULL DEFAULT '[]',
            reviewer TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            supersedes INTEGER REFERENCES verdicts(id)
        );
        CREATE INDEX verdicts_batch ON verdicts(batch_id);
        CREATE INDEX verdicts_unit ON verdicts(unit, period);
        CREATE TRIGGER samples_no_update BEFORE UPDATE ON samples
            BEGIN SELECT RAISE(ABORT, 'a sample draw is never changed'); END;
        CREATE TRIGGER samples_no_delete BEFORE DELETE ON samples
            BEGIN SELECT RAISE(ABORT, 'a sample draw is never deleted'); END;
        CREATE TRIGGER sample_stations_no_update BEFORE UPDATE ON sample_stations
            BEGIN SELECT RAISE(ABORT, 'a sample draw is never changed'); END;
        CREATE TRIGGER sample_stations_no_delete BEFORE DELETE ON sample_stations
            BEGIN SELECT RAISE(ABORT, 'a sample draw is never deleted'); END;
        CREATE TRIGGER rescores_no_update BEFORE UPDATE ON rescores
            BEGIN SELECT RAISE(ABORT, 'a re-score is never changed: revise it'); END;
        CREATE TRIGGER rescores_no_delete BEFORE DELETE ON rescores
            BEGIN SELECT RAISE(ABORT, 'a re-score is never deleted'); END;
        CREATE TRIGGER verdicts_no_update BEFORE UPDATE ON verdicts
            BEGIN SELECT RAISE(ABORT, 'a verdict is never changed: give a new one'); END;
        CREATE TRIGGER verdicts_no_delete BEFORE DELETE ON verdicts
            BEGIN SELECT RAISE(ABORT, 'a verdict is never deleted'); END;
"""

# The files of a batch (the scan of the stamped pages), pushed or imported. Append-only. One
# name per batch, and the same bytes kept once per batch whatever they were called.
_M003_FILES = """
        CREATE TABLE batch_files (
            id INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL,
            name TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
            source TEXT NOT NULL CHECK (source IN ('push', 'import')),
            token_id INTEGER REFERENCES tokens(id),
            received_at TEXT NOT NULL,
            receipt TEXT NOT NULL,
            data BLOB NOT NULL,  -- last: reading the other columns never walks its pages
            UNIQUE (batch_id, name),
            UNIQUE (batch_id, sha256)
        );
        CREATE TRIGGER batch_files_no_update BEFORE UPDATE ON batch_files
            BEGIN SELECT RAISE(ABORT, 'received files are never changed'); END;
        CREATE TRIGGER batch_files_no_delete BEFORE DELETE ON batch_files
            BEGIN SELECT RAISE(ABORT, 'received files are never deleted'); END;
"""

MIGRATIONS: list[str] = [_M001_INITIAL, _M002_REVIEW, _M003_FILES]


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating and migrating) the county database at ``path``."""
    from fieldtui.store.db import _pragmas

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    _pragmas(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        conn.close()
        raise CountyStoreError(
            f"{path}: county database version {version} is newer than this fieldtui "
            f"({len(MIGRATIONS)}); upgrade fieldtui"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        # executescript commits before it runs, so the transaction is part of the script.
        script = (
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version={number};\nCOMMIT;"
        )
        try:
            conn.executescript(script)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return conn


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    created: str
    tokens: int  # active tokens


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    unit: str
    created: str
    revoked: str | None


@dataclass(frozen=True, slots=True)
class TokenHash:
    id: int
    unit: str
    hash: str


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """A received batch without its body (see :meth:`CountyStore.body`)."""

    seq: int
    batch_id: str
    digest: str
    unit: str
    campaign_id: str
    period: str
    supersedes: str | None
    content_hash: str
    sealed_at: str
    received_at: str
    source: str
    stations: int
    passed: int
    size: int
    receipt: dict[str, Any] | None  # None when listed without (CountyStore.batches)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A received file of a batch, without its bytes (see :meth:`CountyStore.file_data`)."""

    id: int
    batch_id: str
    name: str
    mime: str
    size: int
    sha256: str
    source: str
    received_at: str
    receipt: dict[str, Any]


_BATCH_COLS = (
    "seq, batch_id, digest, unit, campaign_id, period, supersedes, content_hash, sealed_at, "
    "received_at, source, stations, passed, size, receipt"
)


def _batch(row: sqlite3.Row) -> StoredBatch:
    return StoredBatch(
        seq=row["seq"],
        batch_id=row["batch_id"],
        digest=row["digest"],
        unit=row["unit"],
        campaign_id=row["campaign_id"],
        period=row["period"],
        supersedes=row["supersedes"],
        content_hash=row["content_hash"],
        sealed_at=row["sealed_at"],
        received_at=row["received_at"],
        source=row["source"],
        stations=row["stations"],
        passed=row["passed"],
        size=row["size"],
        receipt=None if row["receipt"] is None else json.loads(row["receipt"]),
    )


def clean_unit(name: str) -> str:
    """A unit name as registered: trimmed, non-empty, within the batch schema's limit."""
    unit = name.strip()
    if not unit:
        raise CountyStoreError("unit: must not be empty")
    if len(unit) > UNIT_MAX:
        raise CountyStoreError(f"unit: longer than {UNIT_MAX} characters")
    if any(ord(ch) < 32 for ch in unit):
        raise CountyStoreError("unit: contains control characters")
    return unit


class CountyStore:
    """Repository over one connection. Not thread-safe: the server uses it from one thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CountyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        from fieldtui.store.db import transaction

        with transaction(self.conn) as conn:
            yield conn

    # -- units and tokens ------------------------------------------------------------------------

    def add_unit(self, name: str, now: str) -> bool:
        """Register a township; False if it was registered already."""
        unit = clean_unit(name)
        with self._tx() as c:
            cur = c.execute("INSERT OR IGNORE INTO units(name, created) VALUES (?, ?)", (unit, now))
            return cur.rowcount == 1

    def has_unit(self, name: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM units WHERE name = ?", (name,)).fetchone()
        return row is not None

    def units(self) -> list[Unit]:
        rows = self.conn.execute(
            "SELECT u.name, u.created, "
            "(SELECT count(*) FROM tokens t WHERE t.unit = u.name AND t.revoked IS NULL) AS n "
            "FROM units u ORDER BY u.name"
        ).fetchall()
        return [Unit(r["name"], r["created"], r["n"]) for r in rows]

    def add_token(self, unit: str, token_hash: str, now: str) -> int:
        """Store a new token's hash for ``unit`` (registering the unit); returns its id."""
        name = clean_unit(unit)
        with self._tx() as c:
            c.execute("INSERT OR IGNORE INTO units(name, created) VALUES (?, ?)", (name, now))
            cur = c.execute(
                "INSERT INTO tokens(unit, hash, created) VALUES (?, ?, ?)",
                (name, token_hash, now),
            )
            return int(cur.lastrowid or 0)

    def tokens(self) -> list[TokenRow]:
        rows = self.conn.execute(
            "SELECT id, unit, created, revoked FROM tokens ORDER BY unit, id"
        ).fetchall()
        return [TokenRow(r["id"], r["unit"], r["created"], r["revoked"]) for r in rows]

    def active_tokens(self) -> list[TokenHash]:
        rows = self.conn.execute(
            "SELECT id, unit, hash FROM tokens WHERE revoked IS NULL ORDER BY id"
        ).fetchall()
        return [TokenHash(r["id"], r["unit"], r["hash"]) for r in rows]

    def revoke(self, unit: str, now: str, token_id: int | None = None) -> int:
        """Revoke the unit's active tokens (or one of them); returns how many."""
        with self._tx() as c:
            if token_id is None:
                cur = c.execute(
                    "UPDATE tokens SET revoked = ? WHERE unit = ? AND revoked IS NULL", (now, unit)
                )
            else:
                cur = c.execute(
                    "UPDATE tokens SET revoked = ? WHERE unit = ? AND id = ? AND revoked IS NULL",
                    (now, unit, token_id),
                )
            return cur.rowcount

    # -- batches ---------------------------------------------------------------------------------

    def find(self, batch_id: str) -> StoredBatch | None:
        row = self.conn.execute(
            f"SELECT {_BATCH_COLS} FROM batches WHERE batch_id = ? ORDER BY seq LIMIT 1",
            (batch_id,),
        ).fetchone()
        return None if row is None else _batch(row)

    def body(self, batch_id: str) -> bytes | None:
        row = self.conn.execute(
            "SELECT body FROM batches WHERE batch_id = ? ORDER BY seq LIMIT 1", (batch_id,)
        ).fetchone()
        return None if row is None else bytes(row["body"])

    def batches(
        self, campaign_id: str | None = None, *, receipts: bool = True
    ) -> list[StoredBatch]:
        """Every received batch (of a campaign), oldest first.

        ``receipts=False`` leaves each ``receipt`` None: it is stored after the body, so reading
        it walks the body's overflow pages, every byte of every batch. The county report needs
        only the summary columns: 500 batches then cost a tenth.
        """
        cols = _BATCH_COLS if receipts else _BATCH_COLS.replace(", receipt", ", NULL AS receipt")
        if campaign_id is None:
            rows = self.conn.execute(f"SELECT {cols} FROM batches ORDER BY seq").fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT {cols} FROM batches WHERE campaign_id = ? ORDER BY seq",
                (campaign_id,),
            ).fetchall()
        return [_batch(r) for r in rows]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM batches").fetchone()[0])

    def stations_of(self, batch_id: str) -> list[sqlite3.Row]:
        """The stations a received batch reported (id, name, visit_id, total, passed)."""
        return self.conn.execute(
            "SELECT s.station_id, s.name, s.visit_id, s.total, s.passed FROM batch_stations s "
            "JOIN batches b ON b.seq = s.batch_seq WHERE b.batch_id = ? ORDER BY s.station_id",
            (batch_id,),
        ).fetchall()

    def copies(self) -> dict[str, int]:
        """How many rows each batch id has (1 everywhere unless deduplication was switched off)."""
        rows = self.conn.execute("SELECT batch_id, count(*) FROM batches GROUP BY batch_id")
        return {r[0]: r[1] for r in rows}

    def store_batch(
        self,
        body: bytes,
        digest: str,
        summary: BatchSummary,
        stations: Sequence[Mapping[str, Any]],
        *,
        source: str,
        token_id: int | None,
        received_at: str,
        dedup: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """Store a checked batch and its receipt in one transaction.

        Returns ``(receipt, created)``: the new receipt, or the original one with
        ``duplicate=True`` when the same id and digest are already stored. Raises
        :class:`ConflictingBatch` for the same id with another digest.
        """
        receipt = {
            "batch_id": summary.batch_id,
            "digest": digest,
            "received_at": received_at,
            "unit": summary.unit,
            "campaign_id": summary.campaign_id,
            "period": summary.period,
            "supersedes": summary.supersedes,
            "duplicate": False,
        }
        with self._tx() as c:
            if dedup:
                old = c.execute(
                    "SELECT digest, receipt FROM batches WHERE batch_id = ?", (summary.batch_id,)
                ).fetchone()
                if old is not None:
                    if old["digest"] != digest:
                        raise ConflictingBatch(summary.batch_id, old["digest"])
                    original: dict[str, Any] = json.loads(old["receipt"])
                    original["duplicate"] = True
                    return original, False
            cur = c.execute(
                "INSERT INTO batches(batch_id, digest, unit, campaign_id, period, supersedes, "
                "content_hash, sealed_at, received_at, source, token_id, stations, passed, "
                "size, body, receipt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    summary.batch_id,
                    digest,
                    summary.unit,
                    summary.campaign_id,
                    summary.period,
                    summary.supersedes,
                    summary.content_hash,
                    summary.sealed_at,
                    received_at,
                    source,
                    token_id,
                    summary.stations,
                    summary.passed,
                    len(body),
                    body,
                    canonical(receipt).decode("utf-8"),
                ),
            )
            seq = cur.lastrowid
            c.executemany(
                "INSERT INTO batch_stations(batch_seq, station_id, name, visit_id, total, passed) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (seq, st["id"], st["name"], st["visit_id"], st["total"], st["passed"])
                    for st in stations
                ],
            )
        return receipt, True

    # -- files of a batch -----------------------------------------------------------------------

    def files_of(self, batch_id: str) -> list[StoredFile]:
        rows = self.conn.execute(
            "SELECT id, batch_id, name, mime, size, sha256, source, received_at, receipt "
            "FROM batch_files WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        ).fetchall()
        return [
            StoredFile(
                r["id"], r["batch_id"], r["name"], r["mime"], r["size"], r["sha256"],
                r["source"], r["received_at"], json.loads(r["receipt"]),
            )
            for r in rows
        ]  # fmt: skip

    def file_counts(self) -> dict[str, int]:
        """How many files each batch id has (batches without any are left out)."""
        rows = self.conn.execute("SELECT batch_id, count(*) FROM batch_files GROUP BY batch_id")
        return {r[0]: r[1] for r in rows}

    def file_data(self, file_id: int) -> bytes:
        """A received file's bytes, checked against their stored SHA-256."""
        import hashlib

        row = self.conn.execute(
            "SELECT data, sha256 FROM batch_files WHERE id = ?", (file_id,)
        ).fetchone()
        if row is None:
            raise CountyStoreError(f"no received file {file_id}")
        data = bytes(row["data"])
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise CountyStoreError(
                f"received file {file_id}: the stored bytes no longer match their SHA-256; "
                "the database is damaged (restore a backup)"
            )
        return data

    def store_file(
        self,
        batch_id: str,
        name: str,
        mime: str,
        data: bytes,
        sha256: str,
        *,
        source: str,
        token_id: int | None,
        received_at: str,
    ) -> tuple[dict[str, Any], bool]:
        """Store a checked file of a stored batch, with its receipt, in one transaction.

        Returns ``(receipt, created)``: the new receipt, or the original one with
        ``duplicate=True`` when the batch already has these bytes (under any name). Raises
        :class:`ConflictingFile` for this name with other bytes — names compared ignoring case,
        as a Windows folder compares them — and :class:`CountyStoreError` when the batch is not
        stored.
        """
        receipt = {
            "batch_id": batch_id,
            "name": name,
            "sha256": sha256,
            "size": len(data),
            "mime": mime,
            "received_at": received_at,
            "duplicate": False,
        }
        with self._tx() as c:
            if (
                c.execute("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
                is None
            ):
                raise CountyStoreError(f"no batch {batch_id} was received")
            same = c.execute(
                "SELECT receipt FROM batch_files WHERE batch_id = ? AND sha256 = ?",
                (batch_id, sha256),
            ).fetchone()
            if same is not None:
                original: dict[str, Any] = json.loads(same["receipt"])
                original["duplicate"] = True
                return original, False
            # Names compared as Windows and macOS compare them (Scan.pdf is scan.pdf): written
            # out side by side, one would replace the other.
            key = name_key(name)
            named = next(
                (
                    r
                    for r in c.execute(
                        "SELECT name, sha256 FROM batch_files WHERE batch_id = ?", (batch_id,)
                    )
                    if name_key(r["name"]) == key
                ),
                None,
            )
            if named is not None:
                raise ConflictingFile(batch_id, named["name"], named["sha256"], asked=name)
            c.execute(
                "INSERT INTO batch_files(batch_id, name, mime, size, sha256, data, source, "
                "token_id, received_at, receipt) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (batch_id, name, mime, len(data), sha256, data, source, token_id, received_at,
                 canonical(receipt).decode("utf-8")),
            )  # fmt: skip
        return receipt, True

    # -- the switch for the reliability proof ----------------------------------------------------

    def set_dedup_index(self, on: bool) -> None:
        """Create (normal) or drop (``--unsafe-no-dedup``) the UNIQUE index on the batch id.

        Dropping it exists only so a reliability test can show that it detects duplicates.
        Creating it again fails while duplicates are stored; the server then refuses to start.
        """
        with self._tx() as c:
            if on:
                try:
                    c.execute(
                        "CREATE UNIQUE INDEX IF NOT EXISTS batches_batch_id ON batches(batch_id)"
                    )
                except sqlite3.IntegrityError:
                    raise CountyStoreError(
                        f"{self.path}: the database holds duplicate batches (it was run with "
                        "--unsafe-no-dedup); it cannot be used for real submissions"
                    ) from None
            else:
                c.execute("DROP INDEX IF EXISTS batches_batch_id")


def open_county(home: Path) -> CountyStore:
    """Open the county database in ``home`` (created if missing)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / DB_NAME
    return CountyStore(connect(path), path)

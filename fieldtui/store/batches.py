"""Sealed batches and their files: the exact canonical bytes, their SHA-256, and the outbox.

A batch row is written once, in one transaction, with its bytes and digest; triggers refuse any
later change to them (and any deletion). Only the bookkeeping columns move: exported, e-mailed,
queued, sent, acknowledged, the receipt and the last error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fieldtui.domain.submission import BatchFile, BatchRecord
from fieldtui.store.db import StoreError, transaction
from fieldtui.store.timeutil import now_iso

_COLS = (
    "id, campaign_id, period, unit, content_hash, digest, size, sealed_at, supersedes, stations, "
    "passed, exported_at, export_dir, emailed_at, queued_at, sent_at, acknowledged_at, receipt, "
    "attempts, last_error, last_error_at, blocked"
)

_UNSENT_FILES = (
    "EXISTS (SELECT 1 FROM batch_files f WHERE f.batch_id = b.id AND f.acknowledged_at IS NULL)"
)
_FILE_COLS = "id, batch_id, name, kind, mime, size, sha256, added_at, acknowledged_at, last_error"


@dataclass(frozen=True, slots=True)
class NewBatch:
    """A freshly sealed batch, ready to be stored."""

    id: str
    campaign_id: str
    period: str
    unit: str
    content_hash: str
    body: bytes
    sealed_at: str
    supersedes: str | None
    stations: int
    passed: int


class Batches:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- reading -----------------------------------------------------------------------------

    def _records(self, where: str, params: tuple[object, ...]) -> list[BatchRecord]:
        rows = self.conn.execute(
            f"SELECT {_COLS}, (SELECT b2.id FROM batches b2 WHERE b2.supersedes = b.id "
            f"ORDER BY b2.rowid LIMIT 1) AS superseded_by FROM batches b WHERE {where} "
            "ORDER BY b.rowid",
            params,
        ).fetchall()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        files: dict[str, list[BatchFile]] = {i: [] for i in ids}
        marks = ",".join("?" for _ in ids)
        for f in self.conn.execute(
            f"SELECT {_FILE_COLS} FROM batch_files WHERE batch_id IN ({marks}) ORDER BY id",
            ids,
        ):
            files[f["batch_id"]].append(BatchFile(**dict(f)))
        return [
            BatchRecord(
                id=r["id"],
                campaign_id=r["campaign_id"],
                period=r["period"],
                unit=r["unit"],
                content_hash=r["content_hash"],
                digest=r["digest"],
                size=r["size"],
                sealed_at=r["sealed_at"],
                supersedes=r["supersedes"],
                stations=r["stations"],
                passed=r["passed"],
                exported_at=r["exported_at"],
                export_dir=r["export_dir"],
                emailed_at=r["emailed_at"],
                queued_at=r["queued_at"],
                sent_at=r["sent_at"],
                acknowledged_at=r["acknowledged_at"],
                receipt=_receipt(r["receipt"]),
                attempts=r["attempts"],
                last_error=r["last_error"],
                last_error_at=r["last_error_at"],
                blocked=bool(r["blocked"]),
                superseded_by=r["superseded_by"],
                files=tuple(files[r["id"]]),
            )
            for r in rows
        ]

    def get(self, batch_id: str) -> BatchRecord | None:
        rows = self._records("b.id = ?", (batch_id,))
        return rows[0] if rows else None

    def require(self, batch_id: str) -> BatchRecord:
        rec = self.get(batch_id)
        if rec is None:
            raise StoreError(f"no batch {batch_id}")
        return rec

    def find(self, ref: str) -> BatchRecord | None:
        """A batch named by its id or an unambiguous prefix of it (at least 4 characters)."""
        rec = self.get(ref)
        if rec is not None or len(ref) < 4:
            return rec
        rows = self._records("b.id LIKE ? ESCAPE '\\'", (ref.replace("%", r"\%") + "%",))
        return rows[0] if len(rows) == 1 else None

    def all(self, campaign_id: str | None = None, period: str | None = None) -> list[BatchRecord]:
        where, params = ["1=1"], []
        if campaign_id is not None:
            where.append("b.campaign_id = ?")
            params.append(campaign_id)
        if period is not None:
            where.append("b.period = ?")
            params.append(period)
        return self._records(" AND ".join(where), tuple(params))

    def latest(self, campaign_id: str, period: str) -> BatchRecord | None:
        row = self.conn.execute(
            "SELECT id FROM batches WHERE campaign_id=? AND period=? ORDER BY rowid DESC LIMIT 1",
            (campaign_id, period),
        ).fetchone()
        return self.get(row["id"]) if row else None

    def body(self, batch_id: str) -> bytes:
        """The sealed bytes, checked against their stored SHA-256."""
        import hashlib

        row = self.conn.execute(
            "SELECT body, digest FROM batches WHERE id=?", (batch_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no batch {batch_id}")
        body = bytes(row["body"])
        if hashlib.sha256(body).hexdigest() != row["digest"]:
            raise StoreError(
                f"batch {batch_id}: the stored bytes no longer match their SHA-256; "
                "the database is damaged (restore a backup)"
            )
        return body

    def file_data(self, file_id: int) -> bytes:
        import hashlib

        row = self.conn.execute(
            "SELECT data, sha256 FROM batch_files WHERE id=?", (file_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no attached file {file_id}")
        data = bytes(row["data"])
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise StoreError(f"attached file {file_id}: the stored bytes are damaged")
        return data

    def outbox(self, campaign_id: str | None = None) -> list[BatchRecord]:
        """Batches queued for the county, not yet acknowledged or acknowledged with files the
        county has not acknowledged, oldest first."""
        where = f"b.queued_at IS NOT NULL AND (b.acknowledged_at IS NULL OR {_UNSENT_FILES})"
        if campaign_id is None:
            return self._records(where, ())
        return self._records(where + " AND b.campaign_id = ?", (campaign_id,))

    def unacknowledged(self, campaign_id: str, period: str | None = None) -> list[BatchRecord]:
        where = "b.acknowledged_at IS NULL AND b.campaign_id = ?"
        params: tuple[object, ...] = (campaign_id,)
        if period is not None:
            where += " AND b.period = ?"
            params = (campaign_id, period)
        return self._records(where, params)

    def to_send(self, campaign_id: str, period: str | None = None) -> list[BatchRecord]:
        """What ``fieldtui send`` pushes: unacknowledged batches, and acknowledged ones with
        attached files the county has not acknowledged yet."""
        where = f"(b.acknowledged_at IS NULL OR {_UNSENT_FILES}) AND b.campaign_id = ?"
        params: tuple[object, ...] = (campaign_id,)
        if period is not None:
            where += " AND b.period = ?"
            params = (campaign_id, period)
        return self._records(where, params)

    # -- writing -----------------------------------------------------------------------------

    def add_if_changed(
        self,
        campaign_id: str,
        period: str,
        content_hash: str,
        build: Callable[[str | None], NewBatch],
        *,
        reusable: Callable[[str], bool] | None = None,
    ) -> tuple[BatchRecord, bool]:
        """Store a new batch unless the period's newest one has the same content hash (and,
        given ``reusable``, it says yes to that batch's seal time).

        ``build(supersedes)`` seals the batch; it runs inside the write transaction, so two
        processes sealing at once cannot both add one. Returns (batch, created).
        """
        import hashlib

        with transaction(self.conn):
            row = self.conn.execute(
                "SELECT id, content_hash, sealed_at FROM batches WHERE campaign_id=? AND period=? "
                "ORDER BY rowid DESC LIMIT 1",
                (campaign_id, period),
            ).fetchone()
            if (
                row is not None
                and row["content_hash"] == content_hash
                and (reusable is None or reusable(row["sealed_at"]))
            ):
                existing = row["id"]
                created = False
            else:
                nb = build(row["id"] if row else None)
                if nb.content_hash != content_hash:
                    raise StoreError(
                        "the sealed batch does not carry the content it was built from"
                    )
                self.conn.execute(
                    "INSERT INTO batches (id, campaign_id, period, unit, content_hash, digest, "
                    "body, size, sealed_at, supersedes, stations, passed) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (nb.id, nb.campaign_id, nb.period, nb.unit, nb.content_hash,
                     hashlib.sha256(nb.body).hexdigest(), nb.body, len(nb.body), nb.sealed_at,
                     nb.supersedes, nb.stations, nb.passed),
                )  # fmt: skip
                existing = nb.id
                created = True
        return self.require(existing), created

    def add_file(
        self, batch_id: str, name: str, kind: str, mime: str, data: bytes
    ) -> tuple[BatchFile, bool]:
        """Attach a file; the same bytes attached again are kept once. Returns (file, added)."""
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        with transaction(self.conn):
            if (
                self.conn.execute("SELECT 1 FROM batches WHERE id=?", (batch_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no batch {batch_id}")
            row = self.conn.execute(
                "SELECT id FROM batch_files WHERE batch_id=? AND sha256=?", (batch_id, digest)
            ).fetchone()
            added = row is None
            if added:
                cur = self.conn.execute(
                    "INSERT INTO batch_files (batch_id, name, kind, mime, size, sha256, data, "
                    "added_at) VALUES (?,?,?,?,?,?,?,?)",
                    (batch_id, name, kind, mime, len(data), digest, data, now_iso()),
                )
                fid = int(cur.lastrowid or 0)
            else:
                fid = int(row["id"])
        f = self.conn.execute(
            f"SELECT {_FILE_COLS} FROM batch_files WHERE id=?",
            (fid,),
        ).fetchone()
        return BatchFile(**dict(f)), added

    def acknowledge_file(self, file_id: int, receipt: dict[str, object]) -> None:
        """The county acknowledged this file: it is never sent again."""
        import json

        text = json.dumps(receipt, ensure_ascii=False, sort_keys=True)
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE batch_files SET acknowledged_at=coalesce(acknowledged_at, ?), receipt=?, "
                "last_error=NULL WHERE id=?",
                (now_iso(), text, file_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no attached file {file_id}")

    def record_file_error(self, file_id: int, message: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE batch_files SET last_error=? WHERE id=?", (message[:2000], file_id)
            )

    def _set(self, batch_id: str, sql: str, params: tuple[object, ...]) -> None:
        with transaction(self.conn):
            cur = self.conn.execute(f"UPDATE batches SET {sql} WHERE id=?", (*params, batch_id))
            if cur.rowcount != 1:
                raise StoreError(f"no batch {batch_id}")

    def mark_exported(self, batch_id: str, directory: str) -> None:
        self._set(batch_id, "exported_at=?, export_dir=?", (now_iso(), directory))

    def mark_emailed(self, batch_id: str) -> None:
        self._set(batch_id, "emailed_at=?", (now_iso(),))

    def queue(self, batch_ids: Iterable[str]) -> None:
        """Put batches in the outbox (committed before any byte is sent); clears a block."""
        ts = now_iso()
        with transaction(self.conn):
            for bid in batch_ids:
                self.conn.execute(
                    "UPDATE batches SET queued_at=coalesce(queued_at, ?), blocked=0 "
                    "WHERE id=? AND acknowledged_at IS NULL",
                    (ts, bid),
                )

    def start_attempt(self, batch_id: str) -> None:
        self._set(batch_id, "attempts=attempts+1, sent_at=coalesce(sent_at, ?)", (now_iso(),))

    def record_error(self, batch_id: str, message: str, *, permanent: bool) -> None:
        self._set(
            batch_id,
            "last_error=?, last_error_at=?, blocked=?",
            (message[:2000], now_iso(), int(permanent)),
        )

    def clear_error(self, batch_id: str) -> None:
        self._set(batch_id, "last_error=NULL, last_error_at=NULL, blocked=0", ())

    def acknowledge(self, batch_id: str, receipt: dict[str, object]) -> None:
        import json

        text = json.dumps(receipt, ensure_ascii=False, sort_keys=True)
        self._set(
            batch_id,
            "acknowledged_at=coalesce(acknowledged_at, ?), sent_at=coalesce(sent_at, ?), "
            "receipt=?, last_error=NULL, last_error_at=NULL, blocked=0",
            (now_iso(), now_iso(), text),
        )


def _receipt(text: str | None) -> dict[str, object] | None:
    """The stored receipt (JSON), or None. json is imported here: the app's start reads batches."""
    if not text:
        return None
    import json

    receipt: dict[str, object] = json.loads(text)
    return receipt

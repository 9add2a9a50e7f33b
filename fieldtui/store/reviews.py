"""The county's reviews of this township's batches, as fetched from the endpoint or imported from
the county's e-mailed file. Append-only: a review is stored again only when its content changed
(its ``generated_at`` aside), so the history of verdicts the officer saw is kept."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldtui.domain.batch import canonical, sha256_hex
from fieldtui.domain.review import REVIEW_SCHEMA
from fieldtui.store.db import StoreError, transaction


def review_digest(doc: Mapping[str, Any]) -> str:
    """What identifies a review's content: everything but the time it was generated."""
    return sha256_hex(canonical({k: v for k, v in doc.items() if k != "generated_at"}))


@dataclass(frozen=True, slots=True)
class StoredReview:
    id: int
    batch_id: str
    status: str
    doc: dict[str, Any]
    source: str
    fetched_at: str


def _row(r: sqlite3.Row) -> StoredReview:
    return StoredReview(
        r["id"], r["batch_id"], r["status"], json.loads(r["body"]), r["source"], r["fetched_at"]
    )


class Reviews:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def record(self, doc: Mapping[str, Any], source: str, now: str) -> bool:
        """Store a review document (checked against the wire schema) of one of our batches;
        True if it was new or changed, False if the same content was stored already."""
        REVIEW_SCHEMA.validate(dict(doc))
        digest = review_digest(doc)
        with transaction(self.conn):
            if self.conn.execute("SELECT 1 FROM batches WHERE id=?", (doc["batch_id"],)).fetchone() is None:  # fmt: skip
                raise StoreError(f"review of batch {doc['batch_id']}: no such batch here")
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO reviews (batch_id, status, body, digest, source, "
                "fetched_at) VALUES (?,?,?,?,?,?)",
                (doc["batch_id"], doc["status"], canonical(dict(doc)).decode("utf-8"), digest,
                 source, now),
            )  # fmt: skip
            return cur.rowcount == 1

    def latest(self, batch_id: str) -> StoredReview | None:
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE batch_id=? ORDER BY id DESC LIMIT 1", (batch_id,)
        ).fetchone()
        return None if row is None else _row(row)

    def latest_all(self) -> dict[str, StoredReview]:
        """The newest stored review of every batch that has one."""
        rows = self.conn.execute(
            "SELECT * FROM reviews WHERE id IN (SELECT max(id) FROM reviews GROUP BY batch_id)"
        )
        return {r["batch_id"]: _row(r) for r in rows}

    def history(self, batch_id: str) -> list[StoredReview]:
        rows = self.conn.execute("SELECT * FROM reviews WHERE batch_id=? ORDER BY id", (batch_id,))
        return [_row(r) for r in rows]

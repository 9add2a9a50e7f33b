"""Schema migrations, one function per ``PRAGMA user_version`` step, applied in order.

Each runs inside one transaction (see ``db.run_migrations``) with a sqlite-utils ``Database`` on
the same connection. Never edit a released migration: add a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migration = Callable[[Any], None]


def m001_initial(db: Any) -> None:
    db["stations"].create(
        {
            "id": int,
            "name": str,
            "village": str,
            "head": str,
            "head_role": str,
            "contact": str,
            "phone": str,
            "people_served": int,
            "veterans": int,
            "notes": str,
            "archived": str,
            "pinyin": str,
            "created": str,
            "updated": str,
        },
        pk="id",
        not_null={"name", "created", "updated"},
        defaults={
            "village": "",
            "head": "",
            "head_role": "",
            "contact": "",
            "phone": "",
            "notes": "",
            "pinyin": "",
        },
    )
    db["stations"].create_index(["name"], unique=True, index_name="stations_name")
    db["plan"].create(
        {"campaign_id": str, "station_id": int, "month": str, "updated": str},
        pk=("campaign_id", "station_id"),
        not_null={"month"},
        foreign_keys=[("station_id", "stations", "id")],
    )
    db["assessments"].create(
        {
            "id": int,
            "station_id": int,
            "campaign_id": str,
            "rubric_hash": str,
            "date": str,
            "assessor": str,
            "status": str,
            "revises": int,
            "reason": str,
            "created": str,
            "completed": str,
            "total": float,
            "passed": int,
        },
        pk="id",
        not_null={"station_id", "campaign_id", "rubric_hash", "date", "status", "created"},
        defaults={"assessor": "", "reason": "", "completed": ""},
        foreign_keys=[("station_id", "stations", "id"), ("revises", "assessments", "id")],
    )
    db["assessments"].create_index(["station_id", "campaign_id"], index_name="assessments_station")
    db["item_scores"].create(
        {"assessment_id": int, "item": int, "score": float, "note": str},
        pk=("assessment_id", "item"),
        defaults={"note": ""},
        foreign_keys=[("assessment_id", "assessments", "id")],
    )
    db["bonus_entries"].create(
        {
            "id": int,
            "assessment_id": int,
            "item": int,
            "points": float,
            "matter": str,
            "level": str,
        },
        pk="id",
        not_null={"assessment_id", "item", "points", "matter"},
        defaults={"level": ""},
        foreign_keys=[("assessment_id", "assessments", "id")],
    )
    db["bonus_entries"].create_index(["assessment_id"], index_name="bonus_assessment")
    db["veto_flags"].create(
        {"assessment_id": int, "condition": int},
        pk=("assessment_id", "condition"),
        foreign_keys=[("assessment_id", "assessments", "id")],
    )
    db["audit"].create(
        {
            "id": int,
            "ts": str,
            "actor": str,
            "assessment_id": int,
            "station_id": int,
            "field": str,
            "old": str,
            "new": str,
        },
        pk="id",
        not_null={"ts", "field"},
    )
    db["audit"].create_index(["assessment_id"], index_name="audit_assessment")
    # The audit log is append-only: the database itself refuses edits and deletions.
    db.execute(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )


def m002_batches(db: Any) -> None:
    """Sealed quarterly batches, their attached files, their sending state (the outbox)."""
    db.execute(
        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL,
            period TEXT NOT NULL,
            unit TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            digest TEXT NOT NULL,
            body BLOB NOT NULL,
            size INTEGER NOT NULL,
            sealed_at TEXT NOT NULL,
            supersedes TEXT REFERENCES batches(id),
            stations INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            exported_at TEXT,
            export_dir TEXT,
            emailed_at TEXT,
            queued_at TEXT,
            sent_at TEXT,
            acknowledged_at TEXT,
            receipt TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_error_at TEXT,
            blocked INTEGER NOT NULL DEFAULT 0,
            CHECK (length(digest) = 64 AND length(content_hash) = 64)
        )
        """
    )
    db.execute("CREATE INDEX batches_period ON batches (campaign_id, period, sealed_at)")
    # A sealed batch never changes: its bytes, hashes and identity are frozen by the database.
    db.execute(
        "CREATE TRIGGER batches_sealed BEFORE UPDATE OF id, campaign_id, period, unit, "
        "content_hash, digest, body, size, sealed_at, supersedes ON batches "
        "BEGIN SELECT RAISE(ABORT, 'a sealed batch never changes'); END"
    )
    db.execute(
        "CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches "
        "BEGIN SELECT RAISE(ABORT, 'a sealed batch is never deleted'); END"
    )
    db.execute(
        """
        CREATE TABLE batch_files (
            id INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL REFERENCES batches(id),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            data BLOB NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (batch_id, sha256)
        )
        """
    )
    db.execute("CREATE INDEX batch_files_batch ON batch_files (batch_id)")


def m003_reviews(db: Any) -> None:
    """The county's reviews of this township's batches (fetched or imported), append-only: a
    new version of a review is added when its content changed, none is edited."""
    db.execute(
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL REFERENCES batches(id),
            status TEXT NOT NULL,
            body TEXT NOT NULL,
            digest TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('endpoint', 'file')),
            fetched_at TEXT NOT NULL,
            UNIQUE (batch_id, digest)
        )
        """
    )
    db.execute("CREATE INDEX reviews_batch ON reviews (batch_id, id)")
    db.execute(
        "CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'a stored review is never changed'); END"
    )
    db.execute(
        "CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'a stored review is never deleted'); END"
    )


def m004_file_receipts(db: Any) -> None:
    """Per attached file, the county's receipt once it acknowledged the upload (so each file is
    sent once), and the last refusal or failure while it waits."""
    db.execute("ALTER TABLE batch_files ADD COLUMN acknowledged_at TEXT")
    db.execute("ALTER TABLE batch_files ADD COLUMN receipt TEXT")
    db.execute("ALTER TABLE batch_files ADD COLUMN last_error TEXT")


MIGRATIONS: list[Migration] = [m001_initial, m002_batches, m003_reviews, m004_file_receipts]

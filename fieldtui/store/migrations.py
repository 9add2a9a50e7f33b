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


MIGRATIONS: list[Migration] = [m001_initial]

"""The SQLite store: migrations, stations, plan, assessments, audit, revisions, backups."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from fieldtui.domain.ledger import StationInput
from fieldtui.domain.scoring import BonusEntry, ScoreError, full_marks
from fieldtui.store.backup import backup_file, list_backups, rotating_backup
from fieldtui.store.db import StoreError, connect
from fieldtui.store.migrations import MIGRATIONS
from fieldtui.store.store import Store, open_store

DAY = dt.date(2023, 5, 10)


def add(store: Store, name: str = "永丰村退役军人服务站") -> int:
    return store.stations.add(StationInput(name=name, head="张三", people_served=40))


def test_migrates_an_empty_file(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    db.touch()  # an empty file, as a crashed first start might leave
    conn = connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "stations",
        "plan",
        "assessments",
        "item_scores",
        "bonus_entries",
        "veto_flags",
        "audit",
    } <= tables
    conn.close()
    # Opening again migrates nothing and keeps data.
    conn = connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_durable_pragmas(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_newer_database_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    c = sqlite3.connect(db)
    c.execute("PRAGMA user_version=999")
    c.close()
    with pytest.raises(StoreError, match="newer"):
        connect(db)


def test_backup_before_migration(tmp_path: Path) -> None:
    db = tmp_path / "fieldtui.sqlite3"
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE keepme (x)")
    c.execute("PRAGMA user_version=0")
    c.close()
    seen = []
    connect(db, before_migrate=lambda p, v: seen.append(v)).close()
    assert seen == []  # version 0: a new database needs no backup
    # Simulate an older schema: mark it as version 1 of a longer list by calling the hook directly.
    from fieldtui.store.backup import backup_before_migration

    path = backup_before_migration(db, 1, keep=3)
    assert (
        path.exists()
        and sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    )


def test_station_names_unique_and_pinyin_stored(store: Store) -> None:
    sid = add(store)
    st = store.stations.get(sid)
    assert st is not None and "yongfeng" in st.pinyin and "yfc" in st.pinyin
    with pytest.raises(StoreError, match="already"):
        add(store)
    assert store.stations.find("永丰村退役军人服务站").id == sid
    assert store.stations.find(str(sid)).id == sid
    assert store.stations.find("nope") is None


def test_archive_keeps_the_station_but_leaves_the_active_list(store: Store) -> None:
    sid = add(store)
    store.stations.archive(sid, dt.date(2023, 6, 1))
    assert store.stations.all() == []
    assert store.stations.all(include_archived=True)[0].archived == dt.date(2023, 6, 1)
    with pytest.raises(StoreError):
        store.stations.archive(sid, dt.date(2023, 6, 2))


def test_plan_set_move_unset(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    sid = add(store)
    store.plan.set(campaign, sid, "2023-04")
    store.plan.set(campaign, sid, "2023-06")
    assert store.plan.months(campaign.id) == {sid: "2023-06"}
    with pytest.raises(StoreError, match="outside"):
        store.plan.set(campaign, sid, "2024-01")
    store.plan.set(campaign, sid, None)
    assert store.plan.months(campaign.id) == {}


def test_each_score_change_has_an_audit_row(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    sid = add(store)
    aid = store.assessments.create(sid, campaign, DAY, "王明")
    store.assessments.set_score(aid, campaign, 6, 3, "王明")
    store.assessments.set_score(aid, campaign, 6, 0, "王明")
    store.assessments.set_score(aid, campaign, 6, 0, "王明")  # no change: no row
    store.assessments.set_note(aid, 6, "无专职人员", "王明")
    bid = store.assessments.add_bonus(aid, campaign, BonusEntry(60, 1.5, "抗洪"), "王明")
    store.assessments.remove_bonus(aid, bid, "王明")
    store.assessments.set_veto(aid, campaign, 2, True, "王明")
    rows = [(r["field"], r["old"], r["new"]) for r in store.assessments.audit(aid)]
    assert rows == [
        ("status", None, "draft"),
        ("score:6", None, "3"),
        ("score:6", "3", "0"),
        ("note:6", None, "无专职人员"),
        ("bonus:60", None, "1.5 抗洪"),
        ("bonus:60", "1.5 抗洪", None),
        ("veto:2", "0", "1"),
    ]
    assert all(r["actor"] == "王明" and r["ts"] for r in store.assessments.audit(aid))


def test_audit_log_is_append_only(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    aid = store.assessments.create(add(store), campaign, DAY, "x")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit SET new='x' WHERE assessment_id=?", (aid,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit")


def test_invalid_score_changes_nothing(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    aid = store.assessments.create(add(store), campaign, DAY, "x")
    with pytest.raises(ScoreError, match="partial"):
        store.assessments.set_scores(aid, campaign, {1: 1, 6: 1.5})
    assert store.assessments.require(aid).scores == {}


def test_complete_refuses_unscored_then_locks(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    aid = store.assessments.create(add(store), campaign, DAY, "x")
    scores = full_marks(campaign)
    del scores[33]
    store.assessments.set_scores(aid, campaign, scores)
    with pytest.raises(ScoreError, match="item 33"):
        store.assessments.complete(aid, campaign)
    store.assessments.set_score(aid, campaign, 33, 0)
    store.assessments.complete(aid, campaign)
    a = store.assessments.require(aid)
    assert a.complete and a.result(campaign).total == 98
    with pytest.raises(StoreError, match="locked"):
        store.assessments.set_score(aid, campaign, 33, 2)
    ref = store.assessments.visit_refs(campaign.id)[0]
    assert ref.complete and ref.passed


def test_revision_copies_names_its_reason_and_replaces(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    sid = add(store)
    aid = store.assessments.create(sid, campaign, DAY, "x")
    store.assessments.set_scores(aid, campaign, full_marks(campaign))
    store.assessments.set_note(aid, 1, "ok")
    store.assessments.complete(aid, campaign)
    with pytest.raises(StoreError, match="reason"):
        store.assessments.revise(aid, campaign, "  ")
    rid = store.assessments.revise(aid, campaign, "录入错误：第6项应为0分")
    assert store.assessments.revise(aid, campaign, "again") == rid  # the open draft is reused
    r = store.assessments.require(rid)
    assert (r.revises, r.date, r.status) == (aid, DAY, "draft")
    assert r.scores == full_marks(campaign) and r.notes == {1: "ok"}
    store.assessments.set_score(rid, campaign, 6, 0)
    store.assessments.complete(rid, campaign)
    from fieldtui.domain.progress import counting_visits

    counting = counting_visits(store.assessments.visit_refs(campaign.id), dt.date(2023, 12, 31))
    assert counting[sid].id == rid
    # the original is untouched, in the audit trail
    assert store.assessments.require(aid).scores[6] == 3
    with pytest.raises(StoreError, match="already corrected"):
        store.assessments.revise(aid, campaign, "third")


def test_draft_for_and_discard(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    sid = add(store)
    aid = store.assessments.create(sid, campaign, DAY, "x")
    assert store.assessments.draft_for(sid, campaign.id).id == aid
    store.assessments.discard_draft(aid)
    assert store.assessments.draft_for(sid, campaign.id) is None
    assert store.assessments.audit(aid)[-1]["new"] == "discarded"


def test_archived_station_cannot_be_assessed(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    sid = add(store)
    store.stations.archive(sid, DAY)
    with pytest.raises(StoreError, match="archived"):
        store.assessments.create(sid, campaign, DAY, "x")


def test_rubric_mismatch_refused(store: Store, campaign) -> None:  # type: ignore[no-untyped-def]
    aid = store.assessments.create(add(store), campaign, DAY, "x")
    store.conn.execute("UPDATE assessments SET rubric_hash='x' WHERE id=?", (aid,))
    with pytest.raises(StoreError, match="rubric"):
        store.assessments.set_score(aid, campaign, 1, 1)


def test_backups_rotate_and_are_whole(home: Path, campaign) -> None:  # type: ignore[no-untyped-def]
    store = open_store(home)
    add(store)
    for _ in range(5):
        rotating_backup(store.conn, store.path, "quit", keep=3)
    backups = list_backups(store.path)
    assert len(backups) == 3
    for b in backups:
        c = sqlite3.connect(b)
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("SELECT count(*) FROM stations").fetchone()[0] == 1
    assert not list(backups[0].parent.glob("*.part"))
    dest = backup_file(store.path, home / "usb" / "copy.sqlite3")
    assert dest.exists()
    store.close()

"""Sealing: one immutable batch per state of a period, a superseding one after any change."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest

from fieldtui.domain.batch import canonical, check_batch, parse_batch
from fieldtui.domain.rubric import Campaign
from fieldtui.settings import Settings, load_settings
from fieldtui.store.store import Store, open_store
from fieldtui.sync.errors import SyncError
from fieldtui.sync.seal import is_current, seal_period
from tests.sync.helpers import SEAL_TIME, visit


def test_first_seal_stores_canonical_bytes_and_their_sha256(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    r = seal_period(store, campaign, settings, "2023Q2", now=lambda: SEAL_TIME)
    assert r.created
    body = store.batches.body(r.batch.id)
    assert hashlib.sha256(body).hexdigest() == r.batch.digest
    obj = parse_batch(body)
    assert canonical(obj) == body  # the stored bytes are exactly the canonical form
    summary = check_batch(obj, campaign)
    assert summary.batch_id == r.batch.id
    assert obj["sealed_at"] == "2023-07-03T09:30:00+08:00"
    assert obj["unit"] == "龙河镇" and obj["officer"] == "冉小明"
    assert obj["supersedes"] is None
    assert (summary.stations, summary.passed) == (5, 2)
    assert r.batch.state == "sealed" and r.batch.size == len(body)
    # The row in the database agrees with the sealed bytes.
    row = store.conn.execute("SELECT digest, content_hash, period FROM batches").fetchone()
    assert row["digest"] == hashlib.sha256(body).hexdigest()
    assert row["content_hash"] == obj["content_hash"]
    assert row["period"] == "2023Q2"


def test_sealing_again_without_change_returns_the_same_batch(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    first = seal_period(store, campaign, settings, "2023Q2")
    again = seal_period(store, campaign, settings, "2023Q2")
    assert not again.created
    assert again.batch.id == first.batch.id
    assert store.batches.body(again.batch.id) == store.batches.body(first.batch.id)
    assert len(store.batches.all()) == 1
    assert is_current(store, campaign, settings, "2023Q2")


@pytest.mark.parametrize("change", ["new_visit", "station_edit", "plan", "unit", "archive"])
def test_a_change_makes_a_new_batch_naming_the_one_it_supersedes(
    store: Store,
    campaign: Campaign,
    settings: Settings,
    township: dict[str, int],
    home: Path,
    change: str,
) -> None:
    first = seal_period(store, campaign, settings, "2023Q2").batch
    if change == "new_visit":
        visit(store, campaign, township["b"], dt.date(2023, 6, 28))  # re-assessed: now passes
    elif change == "station_edit":
        st = store.stations.get(township["a"])
        assert st is not None
        from dataclasses import replace

        store.stations.update(st.id, replace(st.as_input(), phone="13700001111"))
    elif change == "plan":
        store.plan.set(campaign, township["e"], "2023-09")
    elif change == "unit":
        settings.set("unit", "龙河镇人民政府")
        settings.save()
    elif change == "archive":
        store.stations.archive(township["e"], dt.date(2023, 6, 15))
    assert not is_current(store, campaign, settings, "2023Q2")
    second = seal_period(store, campaign, settings, "2023Q2")
    assert second.created
    assert second.batch.id != first.id
    assert second.batch.supersedes == first.id
    obj = parse_batch(store.batches.body(second.batch.id))
    assert obj["supersedes"] == first.id
    check_batch(obj, campaign)
    # The first batch is untouched and now knows its successor.
    old = store.batches.require(first.id)
    assert old.digest == first.digest and old.superseded_by == second.batch.id
    # And a third seal without change returns the second.
    assert seal_period(store, campaign, settings, "2023Q2").batch.id == second.batch.id


def test_a_sealed_batch_never_changes_in_the_database(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    b = seal_period(store, campaign, settings, "2023Q2").batch
    for sql in (
        "UPDATE batches SET body = x'00'",
        "UPDATE batches SET digest = '" + "0" * 64 + "'",
        "UPDATE batches SET sealed_at = 'now'",
        "DELETE FROM batches",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(sql)
    assert store.batches.require(b.id).digest == b.digest


def test_periods_are_sealed_separately(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    q1 = seal_period(store, campaign, settings, "2023Q1").batch
    q2 = seal_period(store, campaign, settings, "2023Q2").batch
    assert q1.id != q2.id and q2.supersedes is None
    q1_obj = parse_batch(store.batches.body(q1.id))
    # In Q1 only station a had a visit (20 April), and it lost item 1.
    assert q1_obj["progress"]["assessed"] == 1
    assert [v["date"] for v in q1_obj["visits"]] == ["2023-04-20"]


def test_the_unit_is_required_and_named(
    store: Store, campaign: Campaign, home: Path, township: dict[str, int]
) -> None:
    bare = load_settings(home)
    bare.unset("unit")
    with pytest.raises(SyncError) as info:
        seal_period(store, campaign, bare, "2023Q2")
    assert "unit" in info.value.zh and "unit" in info.value.en
    assert store.batches.all() == []


def test_an_unknown_period_is_refused_with_the_known_ones(
    store: Store, campaign: Campaign, settings: Settings
) -> None:
    with pytest.raises(SyncError) as info:
        seal_period(store, campaign, settings, "2023Q9")
    assert "2023Q2" in info.value.en


def test_drafts_do_not_count_and_do_not_change_the_batch(
    store: Store, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    first = seal_period(store, campaign, settings, "2023Q2").batch
    visit(store, campaign, township["e"], dt.date(2023, 6, 25), complete=False)
    assert seal_period(store, campaign, settings, "2023Q2").batch.id == first.id


def test_two_stores_sealing_at_once_make_one_batch(
    home: Path, campaign: Campaign, settings: Settings, township: dict[str, int]
) -> None:
    a, b = open_store(home), open_store(home)
    try:
        ids = {seal_period(s, campaign, settings, "2023Q2").batch.id for s in (a, b, a, b)}
        assert len(ids) == 1
        assert len(a.batches.all()) == 1
    finally:
        a.close()
        b.close()


def test_an_empty_ledger_seals_with_no_rate(
    store: Store, campaign: Campaign, settings: Settings
) -> None:
    r = seal_period(store, campaign, settings, "2023Q2", new_id=lambda: str(uuid.UUID(int=7)))
    obj = parse_batch(store.batches.body(r.batch.id))
    assert obj["progress"]["rate"] is None and obj["stations"] == []
    assert r.batch.id == "00000000-0000-0000-0000-000000000007"


def test_a_version_1_database_gains_the_batch_tables(tmp_path: Path) -> None:
    import sqlite_utils

    from fieldtui.store.db import DB_NAME
    from fieldtui.store.migrations import MIGRATIONS

    home = tmp_path / "old"
    home.mkdir()
    conn = sqlite3.connect(home / DB_NAME)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    seen: list[int] = []
    with open_store(home, before_migrate=lambda p, v: seen.append(v)) as store:
        assert seen == [1]  # the backup hook ran before the migration
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.batches.all() == []

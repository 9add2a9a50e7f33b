"""The county store: durable pragmas, immutable batches, dedup across connections, migrations;
and the import rules (county never imports Textual; the CLI loads the server only when serving)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from fieldtui.county.intake import Accepted, Rejection, submit
from fieldtui.county.store import DB_NAME, MIGRATIONS, CountyStoreError, open_county
from tests.support.batches import BatchFactory

A = "丰收镇"


def test_pragmas_are_durable(tmp_path: Path) -> None:
    with open_county(tmp_path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_received_batches_cannot_be_changed_or_deleted(
    tmp_path: Path, factory: BatchFactory
) -> None:
    with open_county(tmp_path) as store:
        store.add_unit(A, "2023-06-01T00:00:00+08:00")
        b = factory.seal(A)
        submit(store, {factory.campaign.id: factory.campaign}, b.body, source="import")
        for sql in (
            "UPDATE batches SET passed = 99",
            "DELETE FROM batches",
            "UPDATE batch_stations SET passed = 1",
            "DELETE FROM batch_stations",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                store.conn.execute(sql)
        assert store.body(b.batch_id) == b.body
        rows = store.conn.execute("SELECT count(*) FROM batch_stations").fetchone()[0]
        assert rows == b.payload["progress"]["stations"]


def test_the_same_batch_from_many_connections_at_once_is_stored_once(
    tmp_path: Path, factory
) -> None:
    with open_county(tmp_path) as store:
        store.add_unit(A, "2023-06-01T00:00:00+08:00")
    b = factory.seal(A)
    campaigns = {factory.campaign.id: factory.campaign}
    results: list[Accepted | BaseException] = []
    barrier = threading.Barrier(12)

    def worker() -> None:
        with open_county(tmp_path) as store:
            barrier.wait()
            try:
                results.append(submit(store, campaigns, b.body, source="import"))
            except BaseException as exc:
                results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, Accepted) for r in results), results
    assert sum(1 for r in results if isinstance(r, Accepted) and r.created) == 1
    with open_county(tmp_path) as store:
        assert store.copies() == {b.batch_id: 1}


def test_conflicting_digest_is_refused(tmp_path: Path, factory) -> None:
    campaigns = {factory.campaign.id: factory.campaign}
    with open_county(tmp_path) as store:
        store.add_unit(A, "2023-06-01T00:00:00+08:00")
        b = factory.seal(A)
        assert submit(store, campaigns, b.body, source="import").created
        again = submit(store, campaigns, b.body, source="import")
        assert not again.created and again.receipt["duplicate"] is True
        other = factory.seal(A, "2023Q1", batch_id=b.batch_id)
        with pytest.raises(Rejection) as info:
            submit(store, campaigns, other.body, source="import")
        assert info.value.status == 422 and info.value.code == "conflicting_batch"


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    open_county(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(CountyStoreError, match="newer"):
        open_county(tmp_path)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_county_never_imports_textual_and_the_cli_loads_the_server_only_to_serve() -> None:
    mods = _modules_after(
        "import fieldtui.county.server, fieldtui.county.serve, fieldtui.county.report, "
        "fieldtui.county.importer, fieldtui.county.intake"
    )
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)
    mods = _modules_after("from fieldtui.cli import build_parser\nbuild_parser()")
    for heavy in (
        "starlette",
        "uvicorn",
        "fieldtui.county.server",
        "fieldtui.county.store",
        "httpx",
    ):
        assert heavy not in mods, heavy


def test_serve_refuses_a_port_in_use_with_one_line(tmp_path: Path) -> None:
    import socket

    from tests.support.county_server import fieldtui

    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        r = fieldtui(tmp_path, "county", "serve", "--port", str(port), check=False)
    finally:
        taken.close()
    assert r.returncode == 2
    assert f"127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr


def test_listing_without_receipts_gives_the_same_batches(
    tmp_path: Path, factory: BatchFactory
) -> None:
    """The report lists batches without their receipts (stored after the body, so reading them
    reads every body); everything else is the same, and find() still has the receipt."""
    campaigns = {factory.campaign.id: factory.campaign}
    with open_county(tmp_path) as store:
        store.add_unit(A, "2023-06-01T00:00:00+08:00")
        for period in ("2023Q1", "2023Q2"):
            submit(store, campaigns, factory.seal(A, period).body, source="import")
        full = store.batches(factory.campaign.id)
        light = store.batches(factory.campaign.id, receipts=False)
        assert [b.receipt for b in light] == [None, None]
        assert all(b.receipt and b.receipt["batch_id"] == b.batch_id for b in full)
        assert [replace(b, receipt=None) for b in full] == light
        found = store.find(full[0].batch_id)
        assert found is not None and found.receipt == full[0].receipt


def test_a_version_1_database_is_migrated_with_its_batches_kept(
    tmp_path: Path, factory: BatchFactory
) -> None:
    """A county database from before the review tables gains them and keeps every batch."""
    import sqlite3

    from fieldtui.campaigns import load_all
    from fieldtui.county.intake import submit
    from fieldtui.county.store import CountyStore

    path = tmp_path / DB_NAME
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version=1; COMMIT;")
    b = factory.seal(A)
    old = CountyStore(conn, path)  # the version-1 schema, written as version 1 did
    old.add_unit(A, "2023-06-01T00:00:00+08:00")
    submit(old, load_all(tmp_path), b.body, source="import")
    old.close()
    with open_county(tmp_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.body(b.batch_id) == b.body
        assert store.conn.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 0
        assert len(store.stations_of(b.batch_id)) == b.payload["progress"]["stations"]

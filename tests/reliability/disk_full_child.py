"""The child process of the disk-full tests (tests/reliability/test_disk_full.py).

    python disk_full_child.py OP BASE_HOME WORK_DIR POINTS

For each of POINTS file-size limits, spread from 0 to a little more than the operation needs, it
copies BASE_HOME to a fresh folder, opens the store, lowers ``RLIMIT_FSIZE`` to that limit (with
SIGXFSZ ignored, so a write past it fails with EFBIG like a full disk instead of killing the
process), runs the operation, lifts the limit again and checks, in this same process:

- a change that raised is absent from the database (read through a second connection) and one
  that returned is present: nothing is reported saved that was not, nothing half-written;
- everything saved before is intact and ``PRAGMA integrity_check`` is ok;
- every failure has the one-line message the CLI would print (``Context.known_error``);
- the process goes on: on the same store the failed operation succeeds once space is back.

It prints one JSON object: ``{"op", "need", "points": [{limit, ok, failed, messages, problems}]}``.
The parent asserts; this file only observes. It runs as a plain script (no pytest).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fieldtui.campaigns import active
from fieldtui.cli.context import Context
from fieldtui.settings import load_settings
from fieldtui.store.db import DB_NAME
from fieldtui.store.store import Store, open_store

SOFT, HARD = resource.getrlimit(resource.RLIMIT_FSIZE)


def limit(size: int | None) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (SOFT if size is None else size, HARD))


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through a connection of its own (what is committed)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]  # fmt: skip
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def message(home: Path, exc: BaseException) -> str | None:
    """What the CLI prints for ``exc`` (its handlers show the sync layer's English text)."""
    from fieldtui.sync.errors import SyncError

    if isinstance(exc, SyncError):
        return exc.en
    ctx = Context(home, "en")
    try:
        return ctx.known_error(exc)
    finally:
        ctx.close()


def changed_tables(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> list[str]:
    return sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))


class Point:
    """One run under one limit: what happened and what was wrong."""

    def __init__(self, size: int) -> None:
        self.limit = size
        self.need = 0
        self.ok = 0
        self.failed = 0
        self.messages: list[str] = []
        self.problems: list[str] = []

    def attempt(self, home: Path, fn: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``fn`` under the limit; (True, result) or (False, exception)."""
        limit(self.limit)
        try:
            result = fn()
        except Exception as exc:
            limit(None)
            self.failed += 1
            msg = message(home, exc)
            if not msg:
                self.problems.append(
                    "no user message for " + "".join(traceback.format_exception_only(exc)).strip()
                )
            elif "\n" in msg.strip():
                self.problems.append(f"message is not one line: {msg!r}")
            else:
                self.messages.append(msg)
            return False, exc
        limit(None)
        self.ok += 1
        return True, result

    def check(self, cond: bool, what: str) -> None:
        if not cond:
            self.problems.append(what)

    def as_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "ok": self.ok, "failed": self.failed,
                "messages": sorted(set(self.messages)), "problems": self.problems}  # fmt: skip


# -- the operations ------------------------------------------------------------------------------


def op_scores(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    """Thirty score changes of the open draft, each its own commit, as an officer keys them."""
    c = active(home)
    aid = info["draft"]
    db = home / DB_NAME
    before = dump(db)
    old = {r["item"]: r["score"] for r in store.conn.execute(
        "SELECT item, score FROM item_scores WHERE assessment_id=?", (aid,))}  # fmt: skip
    changes = [(n, 0.0 if old.get(n) else c.item(n).max) for n in range(1, 31)]
    saved: dict[int, float] = {}
    failed: list[tuple[int, float]] = []
    for item, value in changes:
        ok, _ = pt.attempt(home, lambda i=item, v=value: store.assessments.set_score(aid, c, i, v))
        if ok:
            saved[item] = value
        else:
            failed.append((item, value))
        pt.check(not store.conn.in_transaction, "a transaction was left open after a write")
    after = dump(db)
    now = {r[1]: r[2] for r in after["item_scores"] if r[0] == aid}
    for item, _value in changes:
        want = saved.get(item, old.get(item))
        pt.check(now.get(item) == want, f"item {item}: stored {now.get(item)}, expected {want}")
    pt.check(len(after["audit"]) == len(before["audit"]) + len(saved),
             f"{len(after['audit']) - len(before['audit'])} audit rows for {len(saved)} saved "
             "changes")  # fmt: skip
    pt.check(changed_tables(before, after) in ([], ["audit", "item_scores"]),
             f"other tables changed: {changed_tables(before, after)}")  # fmt: skip
    # Space is back: the same process saves what failed.
    for item, value in failed:
        store.assessments.set_score(aid, c, item, value)
    final = {r[1]: r[2] for r in dump(db)["item_scores"] if r[0] == aid}
    pt.check(all(final.get(i) == v for i, v in changes), "the failed changes could not be redone")


def op_seal(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    from fieldtui.domain.batch import check_batch, parse_batch, sha256_hex
    from fieldtui.sync.seal import seal_period

    c = active(home)
    settings = load_settings(home)
    db = home / DB_NAME
    before = dump(db)
    ok, res = pt.attempt(home, lambda: seal_period(store, c, settings, "2023Q2"))
    after = dump(db)
    if ok:
        pt.check(res.created, "nothing new was sealed")
        body = store.batches.body(res.batch.id)
        pt.check(sha256_hex(body) == res.batch.digest, "sealed body does not match its digest")
        check_batch(parse_batch(body), c)
        pt.check(len(after["batches"]) == len(before["batches"]) + 1, "not one new batch")
    else:
        pt.check(after == before, f"a failed seal changed {changed_tables(before, after)}")
        again = seal_period(store, c, settings, "2023Q2")
        pt.check(again.created, "the seal could not be redone")


def op_export(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    from fieldtui.sync.export import export_period
    from fieldtui.sync.files import TMP_SUFFIX
    from fieldtui.sync.manifest import verify_manifest, verify_sums

    c = active(home)
    settings = load_settings(home)
    out = home / "export"
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    db = home / DB_NAME
    before = dump(db)
    ok, _ = pt.attempt(home, lambda: export_period(store, c, settings, "2023Q2", out))
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    pt.check(not [n for n in files if n.endswith(TMP_SUFFIX)], "temporary files were left")
    pt.check(set(files) == set(old), f"files appeared or vanished: {set(files) ^ set(old)}")
    same = [n for n in old if files.get(n) == old[n]]
    manifest = next(out.glob("*manifest.json"))
    sums = next(out.glob("*SHA256SUMS.txt"))
    pt.check(not verify_manifest(out, manifest) and not verify_sums(out, sums),
             "the files do not match their manifest")  # fmt: skip
    if ok:
        pt.check(not same, f"an export reported done kept old files: {same}")
    elif same != list(old):
        # A failure after every file was replaced (the database could not record the export).
        pt.check(not same, f"a failed export left a mix of old and new files (old: {same})")
    after = dump(db)
    pt.check(len(after["batches"]) - len(before["batches"]) in (0, 1), "batches were lost")
    if not ok:
        export_period(store, c, settings, "2023Q2", out)
        pt.check(all((out / n).read_bytes() != old[n] for n in old), "the export was not redone")


def op_backup(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    from fieldtui.store.backup import backup_dir, check_backup, list_backups, rotating_backup

    db = home / DB_NAME
    folder = backup_dir(db)
    old = {p.name: p.read_bytes() for p in folder.iterdir()}
    ok, made = pt.attempt(home, lambda: rotating_backup(store.conn, db, "quit", keep=3))
    now = {p.name: p.read_bytes() for p in folder.iterdir()}
    if ok:
        check_backup(made)
        pt.check(len(list_backups(db)) == 3, "the backup count is not kept at 3")
        pt.check(made.name in now and made.name not in old, "no new backup")
    else:
        pt.check(now == old, f"a failed backup changed the backups: {set(now) ^ set(old)}")
        check_backup(rotating_backup(store.conn, db, "quit", keep=3))
    for p in list_backups(db):
        check_backup(p)


def op_import(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    from fieldtui.store.ledger_io import apply_import, plan_import

    c = active(home)
    db = home / DB_NAME
    before = dump(db)
    plan = plan_import(home / "ledger.csv", store, c)
    assert plan.ok and len(plan.adds) == info["rows"], plan.problems
    ok, _ = pt.attempt(home, lambda: apply_import(store, plan))
    after = dump(db)
    added = len(after["stations"]) - len(before["stations"])
    if ok:
        pt.check(added == info["rows"], f"{added} of {info['rows']} stations added")
    else:
        pt.check(after == before, f"a failed import changed {changed_tables(before, after)}")
        apply_import(store, plan_import(home / "ledger.csv", store, c))
        pt.check(len(dump(db)["stations"]) == len(before["stations"]) + info["rows"],
                 "the import could not be redone")  # fmt: skip


def op_app(home: Path, store: Store, pt: Point, info: dict[str, Any]) -> None:
    """The real app's scoring screen: twenty full marks keyed on a new visit."""
    import asyncio

    asyncio.run(_app_keys(home, pt, info))


async def _app_keys(home: Path, pt: Point, info: dict[str, Any]) -> None:
    import datetime as dt

    from fieldtui.app import FieldApp
    from fieldtui.screens.scoring import ScoringScreen

    db = home / DB_NAME
    station = info["fresh"]

    def stored() -> dict[int, float]:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return dict(conn.execute(
                "SELECT i.item, i.score FROM item_scores i JOIN assessments a ON "
                "a.id = i.assessment_id WHERE a.station_id=? AND a.status='draft' AND "
                "i.score IS NOT NULL", (station,)).fetchall())  # fmt: skip
        finally:
            conn.close()

    app = FieldApp(home, "en", today=dt.date(2023, 6, 30), blink=False, check_storage=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.open_scoring(station)
        await pilot.pause()
        screen = app.screen_stack[0]
        assert isinstance(screen, ScoringScreen)
        limit(pt.limit)
        try:
            await pilot.press(*"y" * 20)
            screen.flush(30)
            await pilot.pause()
            await pilot.pause()
        finally:
            limit(None)
        marks = dict(screen.marks)
        pt.check("pending" not in marks.values(), f"rows left pending: {marks}")
        shown_saved = {n for n, v in screen.scores.items() if v is not None and n not in marks}
        pt.check(set(stored()) == shown_saved,
                 f"shown saved {sorted(shown_saved)} but stored {sorted(stored())}")  # fmt: skip
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        if marks:
            pt.failed += 1
            pt.check(set(marks.values()) == {"failed"}, f"marks: {marks}")
            pt.check("not saved" in text.lower() or "NOT SAVED" in text, "no 'not saved' shown")
            line = next((x.strip() for x in text.splitlines() if "NOT SAVED" in x), "")
            pt.messages.append(line.split(":")[0] if line else "")
            pt.check(len(screen.scores) == 20, "a value that failed to save was not kept")
        else:
            pt.ok += 1
        # The app goes on: with space back, r writes what failed.
        await pilot.press("r")
        screen.flush(30)
        await pilot.pause()
        await pilot.pause()
        pt.check(not screen.marks, f"not saved after the retry: {screen.marks}")
        pt.check(len(stored()) == 20, f"{len(stored())} of 20 stored after the retry")


OPS: dict[str, Callable[[Path, Store, Point, dict[str, Any]], None]] = {
    "app": op_app,
    "scores": op_scores,
    "seal": op_seal,
    "export": op_export,
    "backup": op_backup,
    "import": op_import,
}


def run_point(op: str, base: Path, work: Path, size: int | None, info: dict[str, Any]) -> Point:
    home = work / f"limit-{size}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(base, home)
    db = home / DB_NAME
    kept = dump(db)
    pt = Point(-1 if size is None else size)
    store = open_store(home)
    sizes = file_sizes(home)
    try:
        OPS[op](home, store, pt, info)
        pt.check(not store.conn.in_transaction, "a transaction was left open")
        grown = [n for name, n in file_sizes(home).items() if n > sizes.get(name, 0)]
        pt.need = max(grown, default=0)
    except Exception:
        pt.problems.append("the check itself failed:\n" + traceback.format_exc())
    finally:
        limit(None)
        store.close()
    pt.check(integrity(db) == "ok", "integrity_check failed")
    after = dump(db)
    for table, rows in kept.items():  # nothing saved before is lost (rows may change, not go)
        ids = {r[0] for r in after.get(table, [])}
        lost = [r for r in rows if r[0] not in ids]
        pt.check(not lost, f"{table}: {len(lost)} rows saved before are gone")
    if size is not None:
        shutil.rmtree(home, ignore_errors=True)
    return pt


def file_sizes(home: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in home.rglob("*") if p.is_file()}


def main() -> int:
    op, base, work, points = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    info = json.loads((base / "info.json").read_text())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    # Unlimited first: what the operation writes at most (the WAL, a backup, an export file).
    free = run_point(op, base, work, None, info)
    need = free.need  # the largest file the operation wrote or grew
    results = [free]
    for i in range(points):
        results.append(run_point(op, base, work, int(need * 1.1 * i / max(points - 1, 1)), info))
    json.dump({"op": op, "need": need, "points": [p.as_dict() for p in results]}, sys.stdout)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("FIELDTUI_LANG", "en")
    sys.exit(main())

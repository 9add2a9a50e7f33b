"""Assessments: visits and revisions, their item scores, notes, bonus entries and veto flags.

Every change is its own committed transaction together with its audit row. A completed assessment
is never edited in place: a correction is a new revision that names the one it corrects and why.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fieldtui.domain.assessment import COMPLETE, DRAFT, Assessment
from fieldtui.domain.progress import VisitRef
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import (
    BonusEntry,
    ScoreError,
    check_bonus,
    check_score,
    check_veto,
    compute,
)
from fieldtui.store.db import StoreError, transaction
from fieldtui.store.timeutil import now_iso


@dataclass(frozen=True, slots=True)
class Outcome:
    """A completed assessment's result as fixed at completion, for lists (ledger, dashboard)."""

    total: float | None
    passed: bool
    vetoed: bool


def _tuples(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor whose rows are plain tuples, for reading many rows fast."""
    cur = conn.cursor()
    cur.row_factory = None
    return cur


def _fmt(v: float | None) -> str | None:
    return None if v is None else f"{v:g}"


def _checked_sheet(
    campaign: Campaign,
    scores: Mapping[int, float | None],
    notes: Mapping[int, str],
    bonus: Iterable[BonusEntry],
    veto: Iterable[int],
) -> tuple[dict[int, float | None], Mapping[int, str], list[BonusEntry], Iterable[int]]:
    """A score sheet checked against the campaign before anything is written."""
    checked = {n: (None if v is None else check_score(campaign, n, v)) for n, v in scores.items()}
    entries = [check_bonus(campaign, e) for e in bonus]
    flags = check_veto(campaign, veto)
    for n in notes:
        if not campaign.has_item(n):
            raise ScoreError(f"notes.{n}", "no such standard item")
    return checked, notes, entries, flags


class Assessments:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- reading -----------------------------------------------------------------------------

    def get(self, assessment_id: int) -> Assessment | None:
        rows = self._load("a.id = ?", (assessment_id,))
        return rows[0] if rows else None

    def require(self, assessment_id: int) -> Assessment:
        a = self.get(assessment_id)
        if a is None:
            raise StoreError(f"no assessment with id {assessment_id}")
        return a

    def for_campaign(self, campaign_id: str, station_id: int | None = None) -> list[Assessment]:
        if station_id is None:
            return self._load("a.campaign_id = ?", (campaign_id,))
        return self._load("a.campaign_id = ? AND a.station_id = ?", (campaign_id, station_id))

    def draft_for(self, station_id: int, campaign_id: str) -> Assessment | None:
        row = self.conn.execute(
            "SELECT id FROM assessments WHERE station_id=? AND campaign_id=? AND status=? "
            "ORDER BY id DESC LIMIT 1",
            (station_id, campaign_id, DRAFT),
        ).fetchone()
        return self.get(row["id"]) if row else None

    def visit_refs(self, campaign_id: str) -> list[VisitRef]:
        """Light rows for progress maths: the pass state was fixed by compute() at completion.

        Read as plain tuples (not ``sqlite3.Row``): the dashboard and the ledger read every visit
        of the campaign when they open, 1,000 of them for a county.
        """
        rows = _tuples(self.conn).execute(
            "SELECT id, station_id, date, status, revises, passed FROM assessments "
            "WHERE campaign_id=?",
            (campaign_id,),
        )
        date = dt.date.fromisoformat
        return [
            VisitRef(
                id=i,
                station_id=sid,
                date=date(d),
                complete=status == COMPLETE,
                passed=bool(passed),
                revises=revises,
            )
            for i, sid, d, status, revises, passed in rows
        ]

    def outcomes(self, campaign_id: str) -> dict[int, Outcome]:
        """Per completed assessment of the campaign (by id): its total, pass state and veto."""
        rows = _tuples(self.conn).execute(
            "SELECT a.id, a.total, a.passed, EXISTS (SELECT 1 FROM veto_flags v "
            "WHERE v.assessment_id = a.id) AS vetoed FROM assessments a "
            "WHERE a.campaign_id=? AND a.status=?",
            (campaign_id, COMPLETE),
        )
        return {
            i: Outcome(
                total=None if total is None else float(total),
                passed=bool(passed),
                vetoed=bool(vetoed),
            )
            for i, total, passed, vetoed in rows
        }

    def draft_stations(self, campaign_id: str) -> set[int]:
        """The stations with an open draft (a visit or a revision being scored)."""
        rows = self.conn.execute(
            "SELECT DISTINCT station_id FROM assessments WHERE campaign_id=? AND status=?",
            (campaign_id, DRAFT),
        )
        return {r["station_id"] for r in rows}

    def status_counts(self, campaign_id: str) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT status, count(*) AS n FROM assessments WHERE campaign_id=? GROUP BY status",
            (campaign_id,),
        )
        return {r["status"]: r["n"] for r in rows}

    def _load(self, where: str, params: tuple[object, ...]) -> list[Assessment]:
        rows = self.conn.execute(
            f"SELECT a.* FROM assessments a WHERE {where} ORDER BY a.id", params
        ).fetchall()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" for _ in ids)
        scores: dict[int, dict[int, float]] = {i: {} for i in ids}
        notes: dict[int, dict[int, str]] = {i: {} for i in ids}
        for r in self.conn.execute(
            f"SELECT assessment_id, item, score, note FROM item_scores "
            f"WHERE assessment_id IN ({marks})",
            ids,
        ):
            if r["score"] is not None:
                scores[r["assessment_id"]][r["item"]] = float(r["score"])
            if r["note"]:
                notes[r["assessment_id"]][r["item"]] = r["note"]
        bonus: dict[int, list[tuple[int, BonusEntry]]] = {i: [] for i in ids}
        for r in self.conn.execute(
            f"SELECT * FROM bonus_entries WHERE assessment_id IN ({marks}) ORDER BY id", ids
        ):
            entry = BonusEntry(r["item"], float(r["points"]), r["matter"], r["level"] or "")
            bonus[r["assessment_id"]].append((r["id"], entry))
        veto: dict[int, set[int]] = {i: set() for i in ids}
        for r in self.conn.execute(
            f"SELECT * FROM veto_flags WHERE assessment_id IN ({marks})", ids
        ):
            veto[r["assessment_id"]].add(r["condition"])
        return [
            Assessment(
                id=r["id"],
                station_id=r["station_id"],
                campaign_id=r["campaign_id"],
                rubric_hash=r["rubric_hash"],
                date=dt.date.fromisoformat(r["date"]),
                assessor=r["assessor"] or "",
                status=r["status"],
                revises=r["revises"],
                reason=r["reason"] or "",
                created=r["created"],
                completed=r["completed"] or "",
                scores=scores[r["id"]],
                notes=notes[r["id"]],
                bonus=tuple(e for _, e in bonus[r["id"]]),
                bonus_ids=tuple(i for i, _ in bonus[r["id"]]),
                veto=frozenset(veto[r["id"]]),
            )
            for r in rows
        ]

    def audit(self, assessment_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM audit WHERE assessment_id=? ORDER BY id", (assessment_id,)
        ).fetchall()

    # -- writing -----------------------------------------------------------------------------

    def _audit(
        self, aid: int, sid: int, actor: str, fld: str, old: str | None, new: str | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO audit (ts, actor, assessment_id, station_id, field, old, new) "
            "VALUES (?,?,?,?,?,?,?)",
            (now_iso(), actor, aid, sid, fld, old, new),
        )

    def _draft_row(self, aid: int, campaign: Campaign | None = None) -> sqlite3.Row:
        row = self.conn.execute("SELECT * FROM assessments WHERE id=?", (aid,)).fetchone()
        if row is None:
            raise StoreError(f"no assessment with id {aid}")
        if row["status"] != DRAFT:
            raise StoreError(f"assessment {aid} is complete and locked; correct it with a revision")
        if campaign is not None and (
            row["campaign_id"] != campaign.id or row["rubric_hash"] != campaign.rubric_hash
        ):
            raise StoreError(
                f"assessment {aid} belongs to campaign {row['campaign_id']} "
                f"(rubric {row['rubric_hash'][:12]}), not the active {campaign.id}"
            )
        return row

    def create(
        self, station_id: int, campaign: Campaign, day: dt.date, assessor: str, actor: str = ""
    ) -> int:
        """Start a new visit as a draft."""
        with transaction(self.conn):
            return self._create(station_id, campaign, day, assessor, actor)

    def _create(
        self, station_id: int, campaign: Campaign, day: dt.date, assessor: str, actor: str
    ) -> int:
        st = self.conn.execute("SELECT archived FROM stations WHERE id=?", (station_id,)).fetchone()
        if st is None:
            raise StoreError(f"no station with id {station_id}")
        if st["archived"]:
            raise StoreError(f"station {station_id} is archived")
        cur = self.conn.execute(
            "INSERT INTO assessments (station_id, campaign_id, rubric_hash, date, assessor, "
            "status, created) VALUES (?,?,?,?,?,?,?)",
            (station_id, campaign.id, campaign.rubric_hash, day.isoformat(), assessor,
             DRAFT, now_iso()),
        )  # fmt: skip
        aid = int(cur.lastrowid or 0)
        self._audit(aid, station_id, actor or assessor, "status", None, DRAFT)
        return aid

    def revise(
        self,
        original_id: int,
        campaign: Campaign,
        reason: str,
        actor: str = "",
        day: dt.date | None = None,
    ) -> int:
        """Open a revision of a completed assessment: a draft copy that names it and the reason.

        If a draft revision of it already exists, that draft is returned instead of a second one.
        """
        reason = reason.strip()
        if not reason:
            raise StoreError("a revision needs a reason")
        with transaction(self.conn):
            return self._revise(original_id, campaign, reason, actor, day)

    def _revise(
        self, original_id: int, campaign: Campaign, reason: str, actor: str, day: dt.date | None
    ) -> int:
        orig = self.conn.execute("SELECT * FROM assessments WHERE id=?", (original_id,)).fetchone()
        if orig is None:
            raise StoreError(f"no assessment with id {original_id}")
        if orig["status"] != COMPLETE:
            raise StoreError(f"assessment {original_id} is a draft: edit it directly")
        if orig["rubric_hash"] != campaign.rubric_hash:
            raise StoreError(f"assessment {original_id} was scored under another rubric")
        later = self.conn.execute(
            "SELECT id, status FROM assessments WHERE revises=? ORDER BY id DESC LIMIT 1",
            (original_id,),
        ).fetchone()
        if later is not None and later["status"] == DRAFT:
            return int(later["id"])
        if later is not None:
            raise StoreError(
                f"assessment {original_id} was already corrected by {later['id']}; "
                f"revise {later['id']} instead"
            )
        cur = self.conn.execute(
            "INSERT INTO assessments (station_id, campaign_id, rubric_hash, date, assessor, "
            "status, revises, reason, created) VALUES (?,?,?,?,?,?,?,?,?)",
            (orig["station_id"], orig["campaign_id"], orig["rubric_hash"],
             (day.isoformat() if day else orig["date"]), orig["assessor"], DRAFT,
             original_id, reason, now_iso()),
        )  # fmt: skip
        aid = int(cur.lastrowid or 0)
        for table, cols in (
            ("item_scores", "item, score, note"),
            ("bonus_entries", "item, points, matter, level"),
            ("veto_flags", "condition"),
        ):
            self.conn.execute(
                f"INSERT INTO {table} (assessment_id, {cols}) "
                f"SELECT ?, {cols} FROM {table} WHERE assessment_id=?",
                (aid, original_id),
            )
        self._audit(aid, orig["station_id"], actor, "revises", None, str(original_id))
        self._audit(aid, orig["station_id"], actor, "reason", None, reason)
        return aid

    def set_score(
        self, aid: int, campaign: Campaign, item: int, value: float | None, actor: str = ""
    ) -> None:
        """Set (or clear, with None) one item's score; committed with its audit row."""
        self.set_scores(aid, campaign, {item: value}, actor)

    def set_scores(
        self, aid: int, campaign: Campaign, values: Mapping[int, float | None], actor: str = ""
    ) -> None:
        """Set several scores in one transaction (the 'fill' key): all or none."""
        checked = {
            n: (None if v is None else check_score(campaign, n, v)) for n, v in values.items()
        }
        with transaction(self.conn):
            row = self._draft_row(aid, campaign)
            for item, value in checked.items():
                old = self.conn.execute(
                    "SELECT score FROM item_scores WHERE assessment_id=? AND item=?", (aid, item)
                ).fetchone()
                old_v = None if old is None else old["score"]
                if old_v == value and old is not None:
                    continue
                self.conn.execute(
                    "INSERT INTO item_scores (assessment_id, item, score) VALUES (?,?,?) "
                    "ON CONFLICT(assessment_id, item) DO UPDATE SET score=excluded.score",
                    (aid, item, value),
                )
                self._audit(aid, row["station_id"], actor, f"score:{item}", _fmt(old_v),
                            _fmt(value))  # fmt: skip

    def set_note(self, aid: int, item: int, note: str, actor: str = "") -> None:
        note = note.strip()
        if len(note) > 1000:
            raise StoreError(f"item {item}: the note is longer than 1000 characters")
        with transaction(self.conn):
            row = self._draft_row(aid)
            old = self.conn.execute(
                "SELECT note FROM item_scores WHERE assessment_id=? AND item=?", (aid, item)
            ).fetchone()
            old_note = old["note"] if old else ""
            if old_note == note:
                return
            self.conn.execute(
                "INSERT INTO item_scores (assessment_id, item, note) VALUES (?,?,?) "
                "ON CONFLICT(assessment_id, item) DO UPDATE SET note=excluded.note",
                (aid, item, note),
            )
            self._audit(aid, row["station_id"], actor, f"note:{item}", old_note or None,
                        note or None)  # fmt: skip

    def add_bonus(self, aid: int, campaign: Campaign, entry: BonusEntry, actor: str = "") -> int:
        entry = check_bonus(campaign, entry)
        with transaction(self.conn):
            row = self._draft_row(aid, campaign)
            cur = self.conn.execute(
                "INSERT INTO bonus_entries (assessment_id, item, points, matter, level) "
                "VALUES (?,?,?,?,?)",
                (aid, entry.item, entry.points, entry.matter, entry.level),
            )
            bid = int(cur.lastrowid or 0)
            self._audit(aid, row["station_id"], actor, f"bonus:{entry.item}", None,
                        f"{entry.points:g} {entry.matter}")  # fmt: skip
        return bid

    def remove_bonus(self, aid: int, bonus_id: int, actor: str = "") -> None:
        with transaction(self.conn):
            row = self._draft_row(aid)
            old = self.conn.execute(
                "SELECT * FROM bonus_entries WHERE id=? AND assessment_id=?", (bonus_id, aid)
            ).fetchone()
            if old is None:
                raise StoreError(f"no bonus entry {bonus_id} on assessment {aid}")
            self.conn.execute("DELETE FROM bonus_entries WHERE id=?", (bonus_id,))
            self._audit(aid, row["station_id"], actor, f"bonus:{old['item']}",
                        f"{old['points']:g} {old['matter']}", None)  # fmt: skip

    def set_veto(
        self, aid: int, campaign: Campaign, condition: int, on: bool, actor: str = ""
    ) -> None:
        check_veto(campaign, [condition])
        with transaction(self.conn):
            row = self._draft_row(aid, campaign)
            exists = self.conn.execute(
                "SELECT 1 FROM veto_flags WHERE assessment_id=? AND condition=?", (aid, condition)
            ).fetchone()
            if bool(exists) == on:
                return
            if on:
                self.conn.execute(
                    "INSERT INTO veto_flags (assessment_id, condition) VALUES (?,?)",
                    (aid, condition),
                )
            else:
                self.conn.execute(
                    "DELETE FROM veto_flags WHERE assessment_id=? AND condition=?",
                    (aid, condition),
                )
            self._audit(aid, row["station_id"], actor, f"veto:{condition}",
                        "1" if exists else "0", "1" if on else "0")  # fmt: skip

    def set_date(self, aid: int, day: dt.date, actor: str = "") -> None:
        with transaction(self.conn):
            row = self._draft_row(aid)
            if row["date"] == day.isoformat():
                return
            self.conn.execute("UPDATE assessments SET date=? WHERE id=?", (day.isoformat(), aid))
            self._audit(aid, row["station_id"], actor, "date", row["date"], day.isoformat())

    def complete(self, aid: int, campaign: Campaign, actor: str = "") -> None:
        """Lock a draft whose every standard item is scored, fixing its total and pass state."""
        with transaction(self.conn):
            self._complete(aid, campaign, actor)

    def _complete(self, aid: int, campaign: Campaign, actor: str) -> None:
        row = self._draft_row(aid, campaign)
        a = self._load("a.id = ?", (aid,))[0]
        result = compute(campaign, a.sheet())
        if not result.complete:
            first = result.unscored[0]
            raise ScoreError(
                f"item {first}",
                f"{len(result.unscored)} item(s) unscored; the first is item {first}",
            )
        self.conn.execute(
            "UPDATE assessments SET status=?, completed=?, total=?, passed=? WHERE id=?",
            (COMPLETE, now_iso(), result.total, int(result.passed), aid),
        )
        self._audit(aid, row["station_id"], actor, "status", DRAFT, COMPLETE)

    def discard_draft(self, aid: int, actor: str = "") -> None:
        """Delete a draft (never a completed visit); the audit log keeps its history."""
        with transaction(self.conn):
            row = self._draft_row(aid)
            for table in ("item_scores", "bonus_entries", "veto_flags"):
                self.conn.execute(f"DELETE FROM {table} WHERE assessment_id=?", (aid,))
            self.conn.execute("DELETE FROM assessments WHERE id=?", (aid,))
            self._audit(aid, row["station_id"], actor, "status", DRAFT, "discarded")

    def import_sheet(
        self,
        aid: int,
        campaign: Campaign,
        scores: Mapping[int, float | None],
        notes: Mapping[int, str],
        bonus: Iterable[BonusEntry],
        veto: Iterable[int],
        actor: str = "",
    ) -> None:
        """Write a whole score sheet to a draft in one transaction."""
        sheet = _checked_sheet(campaign, scores, notes, bonus, veto)
        with transaction(self.conn):
            self._write_sheet(aid, campaign, *sheet, actor)

    def record_sheet(
        self,
        station_id: int,
        campaign: Campaign,
        scores: Mapping[int, float | None],
        notes: Mapping[int, str],
        bonus: Iterable[BonusEntry],
        veto: Iterable[int],
        *,
        day: dt.date | None,
        assessor: str,
        complete: bool,
        revises: int | None = None,
        reason: str = "",
        actor: str = "",
    ) -> int:
        """A whole visit from a score sheet (the CLI's ``assess``) in ONE transaction: the new
        visit, or the revision of ``revises``, is created, filled and (``complete``) locked, or
        nothing is written at all — a full disk or a refusal midway leaves no stray draft."""
        sheet = _checked_sheet(campaign, scores, notes, bonus, veto)
        if revises is not None and not reason.strip():
            raise StoreError("a revision needs a reason")
        with transaction(self.conn):
            if revises is not None:
                aid = self._revise(revises, campaign, reason.strip(), actor, day)
            elif day is None:
                raise StoreError("a new visit needs a date")
            else:
                aid = self._create(station_id, campaign, day, assessor, actor)
            self._write_sheet(aid, campaign, *sheet, actor)
            if complete:
                self._complete(aid, campaign, actor)
        return aid

    def _write_sheet(
        self,
        aid: int,
        campaign: Campaign,
        checked: Mapping[int, float | None],
        notes: Mapping[int, str],
        entries: Sequence[BonusEntry],
        flags: Iterable[int],
        actor: str,
    ) -> None:
        row = self._draft_row(aid, campaign)
        sid = row["station_id"]
        old = {
            r["item"]: (r["score"], r["note"] or "")
            for r in self.conn.execute(
                "SELECT item, score, note FROM item_scores WHERE assessment_id=?", (aid,)
            )
        }
        for n, v in checked.items():
            if n in old and old[n][0] == v:
                continue
            self.conn.execute(
                "INSERT INTO item_scores (assessment_id, item, score) VALUES (?,?,?) "
                "ON CONFLICT(assessment_id, item) DO UPDATE SET score=excluded.score",
                (aid, n, v),
            )
            self._audit(aid, sid, actor, f"score:{n}", _fmt(old.get(n, (None,))[0]), _fmt(v))
        for n, text in notes.items():
            if old.get(n, (None, ""))[1] == text.strip():
                continue
            self.conn.execute(
                "INSERT INTO item_scores (assessment_id, item, note) VALUES (?,?,?) "
                "ON CONFLICT(assessment_id, item) DO UPDATE SET note=excluded.note",
                (aid, n, text.strip()),
            )
            self._audit(aid, sid, actor, f"note:{n}", old.get(n, (None, ""))[1] or None,
                        text.strip() or None)  # fmt: skip
        if entries:
            self.conn.execute("DELETE FROM bonus_entries WHERE assessment_id=?", (aid,))
        for e in entries:
            self.conn.execute(
                "INSERT INTO bonus_entries (assessment_id, item, points, matter, level) "
                "VALUES (?,?,?,?,?)",
                (aid, e.item, e.points, e.matter, e.level),
            )
            self._audit(aid, sid, actor, f"bonus:{e.item}", None, f"{e.points:g} {e.matter}")
        for c in sorted(flags):
            self.conn.execute(
                "INSERT OR IGNORE INTO veto_flags (assessment_id, condition) VALUES (?,?)",
                (aid, c),
            )
            self._audit(aid, sid, actor, f"veto:{c}", "0", "1")

"""The ledger's stations: rows in, domain objects out (the one place that converts them)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import fields

from fieldtui.domain.ledger import Station, StationInput
from fieldtui.domain.progress import StationRef
from fieldtui.store.db import StoreError, transaction
from fieldtui.store.pinyin import pinyin_keys
from fieldtui.store.timeutil import now_iso

_INPUT_FIELDS = [f.name for f in fields(StationInput)]


def row_to_station(row: sqlite3.Row) -> Station:
    return Station(
        id=row["id"],
        name=row["name"],
        village=row["village"] or "",
        head=row["head"] or "",
        head_role=row["head_role"] or "",
        contact=row["contact"] or "",
        phone=row["phone"] or "",
        people_served=row["people_served"],
        veterans=row["veterans"],
        notes=row["notes"] or "",
        archived=dt.date.fromisoformat(row["archived"]) if row["archived"] else None,
        pinyin=row["pinyin"] or "",
    )


class Stations:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def all(self, *, include_archived: bool = False) -> list[Station]:
        sql = "SELECT * FROM stations"
        if not include_archived:
            sql += " WHERE archived IS NULL"
        return [row_to_station(r) for r in self.conn.execute(sql + " ORDER BY id")]

    def refs(self) -> list[StationRef]:
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: every station is read when a screen opens
        rows = cur.execute("SELECT id, archived FROM stations ORDER BY id")
        date = dt.date.fromisoformat
        return [StationRef(i, date(archived) if archived else None) for i, archived in rows]

    def names(self) -> dict[int, str]:
        """Every station's name by id (archived ones too): for lists that show a few names."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, name FROM stations")}

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM stations").fetchone()[0])

    def get(self, station_id: int) -> Station | None:
        row = self.conn.execute("SELECT * FROM stations WHERE id=?", (station_id,)).fetchone()
        return row_to_station(row) if row else None

    def by_name(self, name: str) -> Station | None:
        row = self.conn.execute("SELECT * FROM stations WHERE name=?", (name,)).fetchone()
        return row_to_station(row) if row else None

    def find(self, ref: str) -> Station | None:
        """A station named by its id or its exact name (a name wins if it is all digits)."""
        st = self.by_name(ref)
        if st is None and ref.strip().isdigit():
            st = self.get(int(ref))
        return st

    def _values(self, data: StationInput) -> dict[str, object]:
        values = {k: getattr(data, k) for k in _INPUT_FIELDS}
        values["pinyin"] = pinyin_keys(data.name, data.village)
        return values

    def add(self, data: StationInput) -> int:
        """Insert one validated station. Refuses a duplicate name."""
        with transaction(self.conn):
            return self._insert(data)

    def _insert(self, data: StationInput) -> int:
        values = self._values(data)
        ts = now_iso()
        values["created"] = ts
        values["updated"] = ts
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        try:
            cur = self.conn.execute(
                f"INSERT INTO stations ({cols}) VALUES ({marks})", tuple(values.values())
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"station {data.name!r} is already in the ledger") from None
        return int(cur.lastrowid or 0)

    def _update(self, station_id: int, data: StationInput) -> None:
        values = self._values(data)
        values["updated"] = now_iso()
        sets = ", ".join(f"{k}=?" for k in values)
        try:
            cur = self.conn.execute(
                f"UPDATE stations SET {sets} WHERE id=?", (*values.values(), station_id)
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"another station is already named {data.name!r}") from None
        if cur.rowcount != 1:
            raise StoreError(f"no station with id {station_id}")

    def update(self, station_id: int, data: StationInput) -> None:
        with transaction(self.conn):
            self._update(station_id, data)

    def upsert_many(
        self, adds: Sequence[StationInput], updates: Iterable[tuple[int, StationInput]]
    ) -> tuple[int, int]:
        """Write a whole import in one transaction: all rows or none."""
        updates = list(updates)
        with transaction(self.conn):
            for data in adds:
                self._insert(data)
            for sid, data in updates:
                self._update(sid, data)
        return len(adds), len(updates)

    def archive(self, station_id: int, day: dt.date) -> None:
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE stations SET archived=?, updated=? WHERE id=? AND archived IS NULL",
                (day.isoformat(), now_iso(), station_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no active station with id {station_id}")

    def restore(self, station_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE stations SET archived=NULL, updated=? WHERE id=?", (now_iso(), station_id)
            )

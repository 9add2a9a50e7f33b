"""The monthly plan (分月推进计划表): the month each station is to reach the standard."""

from __future__ import annotations

import sqlite3

from fieldtui.domain.rubric import Campaign
from fieldtui.store.db import StoreError, transaction
from fieldtui.store.timeutil import now_iso


class Plan:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def months(self, campaign_id: str) -> dict[int, str]:
        rows = self.conn.execute(
            "SELECT station_id, month FROM plan WHERE campaign_id=?", (campaign_id,)
        )
        return {r["station_id"]: r["month"] for r in rows}

    def set(self, campaign: Campaign, station_id: int, month: str | None) -> None:
        """Plan ``station_id`` for ``month`` (YYYY-MM within the campaign's plan), or unplan it."""
        if month is not None and month not in campaign.plan_months():
            first, last = campaign.plan_first_month, campaign.plan_last_month
            raise StoreError(f"month {month!r} is outside the plan ({first} to {last})")
        with transaction(self.conn):
            if (
                self.conn.execute("SELECT 1 FROM stations WHERE id=?", (station_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no station with id {station_id}")
            if month is None:
                self.conn.execute(
                    "DELETE FROM plan WHERE campaign_id=? AND station_id=?",
                    (campaign.id, station_id),
                )
            else:
                self.conn.execute(
                    "INSERT INTO plan (campaign_id, station_id, month, updated) VALUES (?,?,?,?) "
                    "ON CONFLICT(campaign_id, station_id) DO UPDATE SET month=excluded.month, "
                    "updated=excluded.updated",
                    (campaign.id, station_id, month, now_iso()),
                )

"""An assessment (one visit, or a revision correcting one) as the domain sees it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fieldtui.domain.progress import VisitRef
from fieldtui.domain.rubric import Campaign
from fieldtui.domain.scoring import BonusEntry, Result, Sheet, compute

DRAFT = "draft"
COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Assessment:
    """One visit to a station: its sheet, status, who and when, and what it revises."""

    id: int
    station_id: int
    campaign_id: str
    rubric_hash: str
    date: dt.date
    assessor: str
    status: str
    revises: int | None = None
    reason: str = ""
    created: str = ""
    completed: str = ""
    scores: dict[int, float] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    bonus: tuple[BonusEntry, ...] = ()
    bonus_ids: tuple[int, ...] = ()
    veto: frozenset[int] = frozenset()

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    def sheet(self) -> Sheet:
        return Sheet(scores=self.scores, bonus=self.bonus, veto=self.veto)

    def result(self, campaign: Campaign) -> Result:
        return compute(campaign, self.sheet())

    def visit_ref(self, campaign: Campaign) -> VisitRef:
        return VisitRef(
            id=self.id,
            station_id=self.station_id,
            date=self.date,
            complete=self.complete,
            passed=self.complete and self.result(campaign).passed,
            revises=self.revises,
        )

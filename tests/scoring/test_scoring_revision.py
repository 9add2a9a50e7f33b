"""A completed visit is shown read-only; editing it opens a revision, which asks for the reason."""

from __future__ import annotations

from pathlib import Path

from fieldtui.campaigns import active
from fieldtui.domain.scoring import compute
from fieldtui.screens.scoring_modals import StationPicker, TextPrompt
from fieldtui.store.store import open_store
from tests.scoring.conftest import Harness, pick, screen_text, settle, station_id

YONGFENG = "永丰村退役军人服务站"


async def test_revising_a_completed_visit_keeps_the_original(home: Path) -> None:
    campaign = active(home, "")
    sid = station_id(home, YONGFENG)
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("f", "c", "enter")
        await settle(pilot)
        screen = app.scoring
        assert screen.visit is not None and screen.visit.complete
        original = screen.visit.id

        # Pick the completed visit itself (the row under the station) to view it.
        await pilot.press("p", *"yf")
        picker = app.screen
        assert isinstance(picker, StationPicker)
        assert f"查看 2023-05-10 已完成 #{original}，达标" in screen_text(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.readonly and screen.visit is not None and screen.visit.id == original

        # An editing key on a locked visit asks for a revision and its reason.
        await pilot.press("g", "5", "n")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")  # no reason: refused, the prompt stays
        assert isinstance(app.screen, TextPrompt)
        assert "必须说明修订原因" in screen_text(app)
        await pilot.press(*"复核发现第5项材料不全", "enter")
        await settle(pilot)
        assert not screen.readonly
        assert screen.visit is not None and screen.visit.revises == original
        revision = screen.visit.id
        assert f"修订 #{original}：复核发现" in screen_text(app)  # the title (cut at 80 columns)
        assert screen.scores == {it.number: it.max for it in campaign.items}, "a copy"

        await pilot.press("g", "5", "n", "c", "enter")
        await settle(pilot)
        assert screen.visit is not None and screen.visit.complete

    with open_store(home) as store:
        orig = store.assessments.require(original)
        rev = store.assessments.require(revision)
        audit = [(r["field"], r["new"]) for r in store.assessments.audit(revision)]
    assert orig.complete and orig.scores[5] == 1.0, "the original is untouched"
    assert rev.complete and rev.revises == original and rev.reason == "复核发现第5项材料不全"
    assert rev.station_id == sid and rev.scores[5] == 0.0
    assert compute(campaign, rev.sheet()).total == 99
    assert ("revises", str(original)) in audit and ("score:5", "0") in audit


async def test_revise_key_only_works_on_a_completed_visit(home: Path) -> None:
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        assert " R " not in screen_text(app), "not offered on a draft"
        await pilot.press("R")
        assert not isinstance(app.screen, TextPrompt)
        await pilot.press("f", "c", "enter")
        await settle(pilot)
        await pilot.press("R")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        assert "Not revised." in screen_text(app)
        assert app.scoring.readonly

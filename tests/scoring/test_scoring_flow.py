"""Scoring whole stations by keyboard, checked against what the store holds and the engine."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Select

from fieldtui.campaigns import active
from fieldtui.domain.scoring import compute, full_marks
from fieldtui.screens.scoring_modals import BonusPanel, ConfirmModal, StationPicker, TextPrompt
from fieldtui.store.store import open_store
from tests.scoring.conftest import (
    TODAY,
    Harness,
    KeyCounter,
    pick,
    screen_text,
    settle,
    station_id,
)

YONGFENG = "永丰村退役军人服务站"


def stored_total(home: Path, aid: int) -> tuple[float, int]:
    with open_store(home) as store:
        row = store.conn.execute(
            "SELECT total, passed FROM assessments WHERE id=?", (aid,)
        ).fetchone()
        return row["total"], row["passed"]


async def test_full_marks_station_takes_three_keys_after_it_is_picked(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StationPicker), "the picker opens by itself"
        await pick(pilot, "yf")
        screen = app.scoring
        assert screen.station is not None and screen.station.name == YONGFENG
        keys = KeyCounter(pilot)
        await keys.press("f", "c", "enter")  # fill, complete, confirm
        await settle(pilot)
        assert keys.count == 3
        assert screen.readonly and screen.visit is not None and screen.visit.complete
        assert "达标" in screen_text(app)

    campaign = active(home, "")
    with open_store(home) as store:
        visits = store.assessments.for_campaign(campaign.id, station_id(home, YONGFENG))
        assert len(visits) == 1
        a = visits[0]
        assert a.complete and a.date == TODAY and a.assessor == "李四"
        assert a.scores == full_marks(campaign)
        fields = [r["field"] for r in store.assessments.audit(a.id)]
    result = compute(campaign, a.sheet())
    assert result.total == 100 and result.passed
    assert stored_total(home, a.id) == (result.total, 1)
    assert fields[0] == "status" and fields[-1] == "status"
    assert sorted(f for f in fields if f.startswith("score:")) == sorted(
        f"score:{n}" for n in range(1, 58)
    )


async def test_five_deductions_notes_bonus_and_veto_match_the_engine(home: Path) -> None:
    campaign = active(home, "")
    deductions = (3, 17, 23, 37, 55)
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yongfeng")
        keys = KeyCounter(pilot)
        for item in deductions:
            before = keys.count
            await keys.press("g", *str(item), "n")  # go to the item, zero
            assert keys.count - before <= 2 + len(str(item))
        # Notes (reasons for deductions) on two of them.
        for item, text in ((3, "未纳入年度考核"), (37, "走访记录不全")):
            await pilot.press("g", *str(item), "m")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*text, "enter")
        # A bonus entry: item 58 at the provincial level (3 points).
        await pilot.press("b")
        assert isinstance(app.screen, BonusPanel)
        panel = app.screen
        await pilot.press("tab")  # to the level
        assert panel.focused is panel.query_one("#bonus-level", Select)
        await pilot.press("enter", "down", "enter")  # central -> provincial
        await pilot.press("tab", *"经验做法获省级简报刊发", "enter")
        assert "3" in str(panel.query_one("#bonus-total").render())
        await pilot.press("escape")
        # A veto: condition 2.
        await pilot.press("v", "2", "escape")
        await pilot.press("f", "c", "enter")
        await settle(pilot)
        screen = app.scoring
        assert screen.readonly
        shown = screen.result

    with open_store(home) as store:
        (a,) = store.assessments.for_campaign(campaign.id, station_id(home, YONGFENG))
    assert a.complete
    assert {n for n, v in a.scores.items() if v == 0} == set(deductions)
    assert all(
        a.scores[it.number] == it.max for it in campaign.items if it.number not in deductions
    )
    assert a.notes == {3: "未纳入年度考核", 37: "走访记录不全"}
    assert [(e.item, e.points, e.level, e.matter) for e in a.bonus] == [
        (58, 3.0, "provincial", "经验做法获省级简报刊发")
    ]
    assert a.veto == frozenset({2})
    result = compute(campaign, a.sheet())
    lost = sum(campaign.item(n).max for n in deductions)
    assert result.base == 100 - lost and result.bonus == 3 and result.total == 103 - lost
    assert result.veto and not result.passed
    assert shown == result, "the screen showed the engine's result"
    assert stored_total(home, a.id) == (result.total, 0)


async def test_complete_refuses_while_items_are_unscored_and_jumps_to_the_first(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("y", "y", "g", "5", "n", "c")
        await settle(pilot)
        screen = app.scoring
        assert not isinstance(app.screen, ConfirmModal)
        assert screen.sheet.cursor == 3
        assert "还有 54 项未评分" in screen_text(app)
        aid = screen.handle.aid if screen.handle else None
    assert aid is not None
    with open_store(home) as store:
        a = store.assessments.require(aid)
    assert not a.complete and a.scores == {1: 1.0, 2: 2.0, 5: 0.0}


async def test_declining_the_confirmation_keeps_the_draft(home: Path) -> None:
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("f", "c")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        screen = app.scoring
        assert not screen.readonly
        assert "Not completed" in screen_text(app)
        aid = screen.handle.aid if screen.handle else None
    with open_store(home) as store:
        assert aid is not None and not store.assessments.require(aid).complete


async def test_a_draft_is_resumed_at_its_first_unscored_item(home: Path) -> None:
    campaign = active(home, "")
    sid = station_id(home, "太平村退役军人服务站")
    with open_store(home) as store:
        aid = store.assessments.create(sid, campaign, TODAY, "李四")
        store.assessments.set_scores(aid, campaign, {n: campaign.item(n).max for n in range(1, 11)})
        store.assessments.set_note(aid, 4, "牌匾已挂")
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_scoring(sid)
        await pilot.pause()
        screen = app.scoring
        assert not isinstance(app.screen, StationPicker), "open_scoring dismissed the picker"
        assert screen.handle is not None and screen.handle.aid == aid
        assert screen.sheet.cursor == 11
        assert screen.notes == {4: "牌匾已挂"}
        assert "继续草稿，从第一个未评项开始" in screen_text(app)
        assert "已评 10/57" in screen_text(app)  # the totals line
        await pilot.press("n")
        await settle(pilot)
        assert "已评 11/57" in screen_text(app)
        assert "10/57" not in screen_text(app)  # no stale count anywhere
    with open_store(home) as store:
        assert store.assessments.require(aid).scores[11] == 0.0
        assert len(store.assessments.for_campaign(campaign.id, sid)) == 1


async def test_browsing_without_scoring_leaves_no_empty_draft(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("down", "down", "j", "5")
        await pick(pilot, "cl")
        await settle(pilot)
    with open_store(home) as store:
        assert store.conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0


async def test_visit_date_is_editable_and_checked(home: Path) -> None:
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("d")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*["backspace"] * 10, *"2023-06-01", "enter")
        assert isinstance(app.screen, TextPrompt), "a date after today is refused"
        assert "after today" in screen_text(app)
        await pilot.press(*["backspace"] * 10, *"2023-05-02", "enter")
        assert not isinstance(app.screen, TextPrompt)
        await pilot.press("y")
        await settle(pilot)
        aid = app.scoring.handle.aid if app.scoring.handle else None
        assert "2023-05-02" in screen_text(app)
    with open_store(home) as store:
        assert aid is not None and str(store.assessments.require(aid).date) == "2023-05-02"


async def test_category_jumps(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        sheet = app.scoring.sheet
        await pilot.press("j", "5")  # 5 cannot start another number: jumps at once
        assert sheet.cursor == 32
        await pilot.press("j", "1", "1")
        assert sheet.cursor == 56  # category 11 is items 56-57
        await pilot.press("j", "1", "enter")
        assert sheet.cursor == 1
        await pilot.press("tab")
        assert sheet.cursor == 4
        await pilot.press("tab", "shift+tab", "shift+tab")
        assert sheet.cursor == 1
        await pilot.press("end")
        assert sheet.cursor == 57
        await pilot.press("pageup", "home")
        assert sheet.cursor == 1


async def test_picker_input_and_list_are_keyboard_only(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, StationPicker)
        assert picker.focused is picker.query_one(Input)
        assert picker.query_one(OptionList).option_count == 4
        await pilot.press("down", "down", "enter")
        assert app.scoring.station is not None
        assert app.scoring.station.name == "太平村退役军人服务站"


async def test_bonus_levels_never_offer_an_untranslated_blank(home: Path) -> None:
    """Item 60's points (0.5-2): the drop-down lists only points, in Chinese, no "Select"
    blank; the second one (1 point) is stored."""
    from textual.widgets._select import SelectOverlay

    campaign = active(home, "")
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("b")
        panel = app.screen
        assert isinstance(panel, BonusPanel)
        await pilot.press("enter", "down", "down", "enter")  # item 58 -> 60
        await pilot.press("tab", "enter")  # open the level drop-down
        await pilot.pause()
        overlay = panel.query_one("#bonus-level", Select).query_one(SelectOverlay)
        shown = [str(getattr(o.prompt, "plain", o.prompt)) for o in overlay.options]
        assert shown == ["0.5 分", "1 分", "1.5 分", "2 分"]
        await pilot.press("down", "enter", "tab", *"县级表彰", "enter")
        await pilot.press("escape")
        await settle(pilot)
    with open_store(home) as store:
        (a,) = store.assessments.for_campaign(campaign.id, station_id(home, YONGFENG))
    assert [(e.item, e.points, e.matter) for e in a.bonus] == [(60, 1.0, "县级表彰")]


async def test_a_long_status_wraps_at_80_columns_instead_of_being_cut(home: Path) -> None:
    """A new visit to a station with a completed one says so in full: the status line grows to
    two lines, and back to one for a short message."""
    from fieldtui.widgets.score_bar import InfoLine

    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("f", "c", "enter")
        await settle(pilot)
        await pick(pilot, "yf")  # the station again: a new visit
        await pilot.pause()
        status = app.scoring.query_one("#scoring-status", InfoLine)
        assert app.scoring.visit is None
        assert status.size.height == 2
        text = screen_text(app)
        assert "该站已有完成的评分" in text and "按 p 查看。" in text
        assert "…" not in text.splitlines()[-3] + text.splitlines()[-2]
        await pilot.press("y")
        await settle(pilot)
        assert status.size.height == 1

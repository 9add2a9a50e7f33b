"""Undo/redo, typed scores (fixed and partial campaigns), notes, the picker's pinyin matching."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from fieldtui.campaigns import active
from fieldtui.domain.scoring import Sheet, compute
from fieldtui.screens.scoring_modals import StationPicker, TextPrompt
from fieldtui.store.store import open_store
from tests.scoring.conftest import TODAY, Harness, pick, screen_text, settle, station_id


def stored_scores(home: Path, aid: int | None) -> dict[int, float]:
    assert aid is not None
    with open_store(home) as store:
        return store.assessments.require(aid).scores


async def test_undo_and_redo_of_score_changes_reach_the_store(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        screen = app.scoring
        await pilot.press("y", "n", "y")  # items 1, 2, 3 -> 1, 0, 2
        await settle(pilot)
        aid = screen.handle.aid if screen.handle else None
        assert stored_scores(home, aid) == {1: 1.0, 2: 0.0, 3: 2.0}

        await pilot.press("u")
        await settle(pilot)
        assert stored_scores(home, aid) == {1: 1.0, 2: 0.0}
        assert screen.sheet.cursor == 3, "undo shows the item it changed"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert stored_scores(home, aid) == {1: 1.0}
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert stored_scores(home, aid) == {1: 1.0, 2: 0.0}

        await pilot.press("f")  # one entry for the whole fill
        await settle(pilot)
        assert len(stored_scores(home, aid)) == 57
        await pilot.press("u")
        await settle(pilot)
        assert stored_scores(home, aid) == {1: 1.0, 2: 0.0}
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert len(stored_scores(home, aid)) == 57

        # A new change after an undo clears what could be redone.
        await pilot.press("u", "g", "9", "n", "ctrl+r")
        await settle(pilot)
        assert "没有可重做的更改" in screen_text(app)
        assert stored_scores(home, aid) == {1: 1.0, 2: 0.0, 9: 0.0}
        assert screen.scores == stored_scores(home, aid)
        assert screen.result == compute(screen.campaign, Sheet(scores=dict(screen.scores)))


async def test_clear_makes_an_item_unscored_again(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("y", "y", "up", "x")
        await settle(pilot)
        aid = app.scoring.handle.aid if app.scoring.handle else None
    assert stored_scores(home, aid) == {1: 1.0}


async def test_fixed_score_campaign_refuses_partial_scores_and_says_why(home: Path) -> None:
    app = Harness(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        assert "每项满分或0分" in screen_text(app)
        await pilot.press("g", "6", "enter", "1")
        assert "本方案只能给 3 或 0" in screen_text(app), "the rule is shown while typing"
        await pilot.press("enter")
        text = screen_text(app)
        assert "不接受 1：本方案每项按固定分值赋分，第 6 项只能给 3 或 0 分" in text
        await pilot.press("3", "enter", "0", "enter")  # the maximum or 0 typed are fine
        await pilot.press("4", "enter")  # item 8 has a maximum of 1
        assert "不接受 4：第 8 项满分为 1" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        aid = app.scoring.handle.aid if app.scoring.handle else None
    assert stored_scores(home, aid) == {6: 3.0, 7: 0.0}


async def test_partial_scores_where_the_campaign_allows_them(partial_home: Path) -> None:
    campaign = active(partial_home, "partial-test")
    assert campaign.partial_scores
    app = Harness(partial_home, campaign_id="partial-test")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        assert "可部分得分（步长 0.5）" in screen_text(app)
        await pilot.press("g", "6", "enter", "2", ".", "5", "enter")  # item 6 (max 3): 2.5
        assert app.scoring.sheet.cursor == 7
        await pilot.press(".", "5", "enter")  # item 7: .5
        await pilot.press("1", ".", "5", "enter")  # item 8 has a maximum of 1
        assert "不接受 1.5：第 8 项满分为 1" in screen_text(app)
        await pilot.press("escape", "0", ".", "2", "5", "enter")
        assert "须为 0.5 的倍数" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert app.scoring._prompt is None, "rubbing out every digit ends the prompt"
        await pilot.press("f", "c", "enter")
        await settle(pilot)
        aid = app.scoring.visit.id if app.scoring.visit else None
    with open_store(partial_home) as store:
        assert aid is not None
        a = store.assessments.require(aid)
    assert a.complete and a.scores[6] == 2.5 and a.scores[7] == 0.5 and a.scores[8] == 1.0
    assert compute(campaign, a.sheet()).total == 100 - 0.5 - 2.5


async def test_a_note_can_be_changed_and_removed(home: Path) -> None:
    app = Harness(home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("n", "up", "m")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"no minutes", "enter")
        await settle(pilot)
        assert "✎ no minutes" in screen_text(app)
        aid = app.scoring.handle.aid if app.scoring.handle else None
        with open_store(home) as store:
            assert aid is not None and store.assessments.require(aid).notes == {1: "no minutes"}
        await pilot.press("m", *["backspace"] * 10, "enter")
        await settle(pilot)
        assert "no minutes" not in screen_text(app)
    with open_store(home) as store:
        assert store.assessments.require(aid).notes == {}


async def test_picker_filters_by_pinyin_initials_full_pinyin_and_fields(home: Path) -> None:
    campaign = active(home, "")
    with open_store(home) as store:
        sid = station_id(home, "新华村退役军人服务站")
        store.assessments.create(sid, campaign, TODAY, "李四")
    app = Harness(home, "en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, StationPicker)
        options = picker.query_one(OptionList)

        async def shown(query: str) -> list[str]:
            await pilot.press(*["backspace"] * 12, *query)
            return [
                str(options.get_option_at_index(i).prompt).split("  ")[0]
                for i in range(options.option_count)
            ]

        assert await shown("yf") == ["永丰村退役军人服务站"]
        assert await shown("yongfeng") == ["永丰村退役军人服务站"]
        assert await shown("YongFeng") == ["永丰村退役军人服务站"]
        assert await shown("cl") == ["长乐社区退役军人服务站"]
        assert await shown("taiping") == ["太平村退役军人服务站"]
        assert await shown("新华") == ["新华村退役军人服务站"]
        assert await shown("13800000003") == ["太平村退役军人服务站"]  # the phone
        assert await shown("张伟") == ["长乐社区退役军人服务站"]  # the person in charge
        assert await shown("zzz") == []
        await pilot.press("enter")
        assert isinstance(app.screen, StationPicker), "Enter with nothing listed does nothing"
        assert len(await shown("")) == 4
        assert "draft 2023-05-10 (resume)" in screen_text(app)
        await pilot.press(*"xh", "enter")
        await pilot.pause()
        assert app.scoring.handle is not None and app.scoring.handle.station_id == sid
        assert app.scoring.handle.aid is not None, "the draft was resumed, not a new visit"


async def test_bonus_entries_are_removed_and_veto_conditions_cleared(home: Path) -> None:
    from fieldtui.screens.scoring_modals import BonusPanel, VetoPanel

    campaign = active(home, "")
    app = Harness(home)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        await pilot.press("b")
        assert isinstance(app.screen, BonusPanel)
        # Item 60 is discretionary: 0.5 to 2 in steps of 0.5.
        await pilot.press("enter", "down", "down", "enter", "tab", "enter", "down", "down", "enter")
        await pilot.press("tab", *"抗洪抢险表现突出", "enter")
        assert [(e.item, e.points) for _, e in app.scoring.bonus] == [(60, 1.5)]
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "delete")  # to the list; remove
        await pilot.press("tab", "enter", "up", "up", "enter")  # item 58
        await pilot.press("tab", "tab", *"重复的事项", "enter", "escape")  # level: central (4)
        screen = app.scoring
        assert [(e.item, e.points) for _, e in screen.bonus] == [(58, 4.0)]
        await pilot.press("v", "1", "3", "1", "escape")
        assert screen.veto == {3}
        await pilot.press("v", "down", "down", "space", "escape")
        assert screen.veto == set()
        assert not isinstance(app.screen, (BonusPanel, VetoPanel))
        await settle(pilot)
        aid = screen.handle.aid if screen.handle else None
    with open_store(home) as store:
        assert aid is not None
        a = store.assessments.require(aid)
        audit = [r["field"] for r in store.assessments.audit(aid)]
    assert [(e.item, e.points, e.matter) for e in a.bonus] == [(58, 4.0, "重复的事项")]
    assert a.veto == frozenset()
    assert audit.count("bonus:60") == 2 and audit.count("veto:3") == 2
    assert compute(campaign, a.sheet()).bonus == 4.0


async def test_scoring_keys_come_from_the_action_table_and_follow_the_keymap(home: Path) -> None:
    from fieldtui.screens.scoring import ScoringScreen

    app = Harness(home, "en")
    merged = ScoringScreen._merged_bindings
    assert merged is not None
    full = merged.key_to_bindings["y"][0]
    assert (full.action, full.description, full.id) == ("full", "Full", "scoring.full")
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "yf")
        app.set_keymap({"scoring.full": "k"})  # a user's [keymap] in settings.toml
        await pilot.press("k", "y")
        await settle(pilot)
        assert app.scoring.scores == {1: 1.0}, "k gives full marks now; y no longer does"
        assert "k Full" in screen_text(app)

"""Pilot tests of the county app: keys pressed, what is stored, what is shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Static

from fieldtui.county import reviews
from fieldtui.county.store import open_county
from fieldtui.domain.sampling import ALGORITHM
from tests.county_app.helpers import rescore_first_lower


def _rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_overview_puts_townships_behind_first_and_marks_them(county_home, make_app) -> None:
    app = make_app(county_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        rows = _rows(screen.query_one("#townships", DataTable))
        units = [r[1] for r in rows]
        # behind the target first (lowest rate first), then those that met it, missing last
        assert units[-1] == "青龙镇" and rows[-1][0] == "✗" and "missing" in rows[-1][6]
        view = screen.view
        by_unit = {t.unit: t for t in view.townships}
        behind = [u for u in units if by_unit[u].behind and by_unit[u].reported]
        met = [u for u in units if by_unit[u].reported and not by_unit[u].behind]
        assert units[: len(behind)] == behind and all(
            r[0] == ("✗" if by_unit[r[1]].behind else "✓") for r in rows
        )
        assert set(behind) | set(met) == {"丰收镇", "长乐镇", "太平镇"}
        # the pooled county rate is sum over sum
        c = view.county
        assert c["stations"] == sum(t.stations or 0 for t in view.townships)
        assert c["passed"] == sum(t.passed or 0 for t in view.townships)
        line = str(screen.query_one("#county-line", Static).render())
        assert f"{c['passed']}/{c['stations']}" in line and "missing 1" in line and "late 1" in line
        # only 太平镇's e-mail carried the stamped scan
        assert {r[1]: r[7] for r in rows} == {
            "丰收镇": "none",
            "长乐镇": "none",
            "太平镇": "yes",
            "青龙镇": "",
        }
        # 长乐镇 pushed late, then a correction: two batches, the newest counts
        idx = units.index("长乐镇")
        assert "late" in rows[idx][6]
        assert rows[idx][6].endswith("late 1d")  # 0.38 days late: whole days, a day begun
        for _ in range(idx):
            await pilot.press("down")
        batches = _rows(screen.query_one("#batches", DataTable))
        assert [b[0] for b in batches] == ["22222222", "22222222"]
        assert "newest" in batches[0][5] and "superseded" in batches[1][5]
        assert [b[6] for b in batches] == ["—", "—"]
        await pilot.press(*["down"] * (units.index("太平镇") - idx))
        assert [b[6] for b in _rows(screen.query_one("#batches", DataTable))] == ["1"]
        # periods: ] to Q3 (nobody sent anything: every registered township missing)
        await pilot.press("right_square_bracket")
        assert screen.view.label == "2023Q3"
        assert [t.reported for t in screen.view.townships] == [False] * 4
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.view.label == "2023Q1"


async def test_draw_from_the_work_list_stores_seed_and_is_reproducible(
    county_home, make_app
) -> None:
    app = make_app(county_home, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.data["sample"]["seed"] == "2023"
        await pilot.press("d")
        await pilot.pause()
        amount = app.screen.query_one("#amount", Input)
        amount.value = ""
        await pilot.press(*"50%", "tab", *"abc", "enter")
        await pilot.pause()
        wl = app.get_screen_stack("worklist")[0]
        assert wl.data["sample"]["seed"] == "abc" and wl.data["sample"]["reviewer"] == "王审核"
        sid = wl.data["sample"]["id"]
    with open_county(county_home) as store:
        s = reviews.sample(store, sid)
        assert s is not None and s.algorithm == ALGORITHM
        assert s.record["parameters"]["default"] == {"mode": "share", "value": 0.5}
        assert reviews.verify_sample(store, sid) == []
        per_unit = {e.unit for e in reviews.entries(store, sid)}
    assert per_unit == {"丰收镇", "长乐镇", "太平镇"}


async def test_a_bad_amount_is_refused_in_the_form(county_home, make_app) -> None:
    app = make_app(county_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "d")
        await pilot.pause()
        app.screen.query_one("#amount", Input).value = "lots"
        await pilot.press("enter")
        await pilot.pause()
        assert "Share or count" in str(app.screen.query_one(".form-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
    with open_county(county_home) as store:
        assert len(reviews.samples(store, "fengdu-2023")) == 1


async def test_compare_and_return_a_batch_from_the_work_list(
    county_home, make_app, tmp_path
) -> None:
    e = rescore_first_lower(county_home, tmp_path)
    app = make_app(county_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        wl = app.screen
        rows = _rows(wl.query_one("#entries", DataTable))
        idx = next(i for i, r in enumerate(rows) if r[0] == e.unit)
        assert rows[idx][3].startswith("⚠") and "fail" in rows[idx][3]
        for _ in range(idx):
            await pilot.press("down")
        await pilot.press("c")
        await pilot.pause()
        items = _rows(app.screen.query_one("#items", DataTable))
        assert items and all(r[4] == "0" for r in items)  # the county zeroed them
        assert all(r[1].isdigit() for r in items)  # category numbers, not 一, 二
        assert "现场无专职人员" in items[0][6]
        assert "verdict changes" in str(app.screen.query_one("#compare-totals", Static).render())
        await pilot.press("a")
        assert app.screen.query_one("#items", DataTable).row_count == 57
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        # the changed station is proposed and "returned" is preselected
        assert app.screen.query_one("#stations", Input).value == str(e.station_id)
        app.screen.query_one("#reason", Input).focus()
        await pilot.press(*"spot check fails", "enter")
        await pilot.pause()
        assert "returned" in str(app.screen.query_one("#worklist-status", Static).render())
    with open_county(county_home) as store:
        (v,) = reviews.verdicts(store, e.batch_id)
    assert v["verdict"] == "returned" and v["reason"] == "spot check fails"
    assert v["stations"] == [{"id": e.station_id, "name": e.name}] and v["reviewer"] == "王审核"


def test_fieldtui_county_without_a_terminal_prints_help(county_home: Path, capsys) -> None:
    from fieldtui.cli import main

    assert main(["--home", str(county_home), "county"]) == 2
    assert "sample" in capsys.readouterr().err


async def test_f1_shows_the_screens_description_and_the_county_keys(county_home, make_app) -> None:
    from fieldtui.screens.help import HelpScreen, Paragraphs

    app = make_app(county_home, "en")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help-description", Paragraphs).text
        assert "Spot checks: the stations of this period's newest draw" in text
        text = app.export_screenshot()  # the key tables as drawn
        assert "Draw" in text and "Verdict" in text  # this screen's keys
        assert "Overview" in text and "Re-score" in text  # the county app's keys
        assert "Ledger" not in text and "Settings" not in text  # not the township's
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


def _lines(app) -> list[tuple[str, list[object]]]:  # type: ignore[no-untyped-def]
    """Each screen line as (text, the styles of its non-blank segments)."""
    return [
        ("".join(s.text for s in strip), [s.style for s in strip if s.text.strip()])
        for strip in app.screen._compositor.render_strips()
    ]


async def test_without_colour_the_cursor_the_choice_and_the_focus_still_show(
    county_home, make_app, monkeypatch
) -> None:
    """NO_COLOR: the focused table's cursor row is reversed (the header is not); the chosen
    verdict is ▐●▌ and the others ▐ ▌; the focused field of the draw form has a bar at its left."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(county_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.has_class("-few-colours")
        lines = _lines(app)
        header = next(st for text, st in lines if "Township" in text and "Stations" in text)
        cursor = next(st for text, st in lines if "长乐镇" in text)  # first row: the cursor
        others = next(st for text, st in lines if "太平镇" in text)
        assert not any(s.reverse for s in header)  # type: ignore[attr-defined]
        assert all(s.reverse for s in cursor)  # type: ignore[attr-defined]
        assert not all(s.reverse for s in others)  # type: ignore[attr-defined]

        await pilot.press("f3", "d")
        await pilot.pause()
        text = [t for t, _ in _lines(app)]
        assert "▌" in next(t for t in text if "20%" in t and "share" not in t)  # focused
        assert "▌" not in next(t for t in text if "王审核" in t)
        await pilot.press("escape", "v")
        await pilot.pause()
        text = [t for t, _ in _lines(app)]
        buttons = [t for t in text if "▐" in t]
        assert len(buttons) == 3
        assert sum("▐●▌" in t for t in buttons) == 1 and sum("▐ ▌" in t for t in buttons) == 2


async def test_in_colour_the_cursor_row_keeps_its_colours(county_home, make_app) -> None:
    app = make_app(county_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.has_class("-few-colours")  # tests/conftest.py: COLORTERM=truecolor
        cell = next(
            s for s in app.screen._compositor.render_strips() for s in s if "长乐镇" in s.text
        )
        assert cell.style is not None and not cell.style.reverse  # the cursor row: colour only

"""The ledger screen, driven by keys only; every assertion on data reads the store afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldtui.domain.progress import counting_visits
from fieldtui.screens.ledger import LedgerScreen
from fieldtui.screens.station_form import StationForm
from fieldtui.store.store import open_store
from fieldtui.widgets.confirm import ConfirmModal
from fieldtui.widgets.table import FastTable
from tests.app.conftest import DEMO_STATIONS, TODAY, AppFactory


def table(app: object) -> FastTable:
    return app.screen.query_one("#ledger-table", FastTable)  # type: ignore[attr-defined]


async def test_add_refuses_invalid_fields_then_saves(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "a")
        await pilot.pause()
        assert isinstance(app.screen, StationForm)
        await pilot.press(*"新村退役军人服务站", *["tab"] * 5, *"12345", "tab", *"150")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # Still open, nothing written, each problem shown at its field.
        assert isinstance(app.screen, StationForm)
        assert app.store.stations.count() == DEMO_STATIONS
        phone_err = str(app.screen.query_one("#e-phone").render())
        people_err = str(app.screen.query_one("#e-people_served").render())
        assert "12345" in phone_err
        assert "150" in people_err
        # The focus went to the first field in error: fix it, then the count.
        assert app.focused is not None and app.focused.id == "f-phone"
        await pilot.press(*["backspace"] * 5, *"138 0000 1111", "tab", *["backspace"] * 3, "8", "0")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
    with open_store(demo_home) as store:
        st = store.stations.by_name("新村退役军人服务站")
        assert st is not None
        assert st.phone == "13800001111"  # normalised by the importer's rules
        assert st.people_served == 80
        assert "xincun" in st.pinyin  # keys stored at write time
        assert store.stations.count() == DEMO_STATIONS + 1


async def test_add_refuses_a_duplicate_name(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "a")
        await pilot.pause()  # the form is mounted before typing starts
        await pilot.press(*"永丰村退役军人服务站", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, StationForm)
        assert "同名" in str(app.screen.query_one("#e-name").render())
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen)
    with open_store(demo_home) as store:
        assert store.stations.count() == DEMO_STATIONS


async def test_edit_selected_station(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "down")
        sid = table(app).cursor_key
        assert sid is not None
        # Enter on the table edits too; tab twice to the person in charge (text selected).
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("tab", "tab", *"张三", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        row = table(app).row(sid)
        assert row is not None and "张三" in row.cells
    with open_store(demo_home) as store:
        st = store.stations.get(sid)
        assert st is not None and st.head == "张三"


async def test_archive_asks_first(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        sid = table(app).cursor_key
        assert sid is not None
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert app.store.stations.get(sid).archived is None  # type: ignore[union-attr]
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert table(app).total_count == DEMO_STATIONS - 1
        assert sid not in table(app).visible_keys
    with open_store(demo_home) as store:
        st = store.stations.get(sid)
        assert st is not None and st.archived == TODAY


async def test_filter_as_you_type_matches_pinyin(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "slash", "y", "f")
        with open_store(demo_home) as store:
            expected = {s.id for s in store.stations.all() if s.name.startswith("永丰")}
        assert expected and set(table(app).visible_keys) == expected
        # Full pinyin, a phone fragment, and two terms at once.
        await pilot.press("backspace", "backspace", *"yongfeng")
        assert set(table(app).visible_keys) == expected
        await pilot.press("escape")
        assert table(app).row_count == DEMO_STATIONS
        assert app.focused is table(app)
        # Letters typed in the filter never trigger the screen's keys (a = add).
        await pilot.press("slash", "a")
        assert isinstance(app.screen, LedgerScreen)
        assert app.screen.query_one("#ledger-filter").value == "a"  # type: ignore[attr-defined]


async def test_sort_cycles_and_keeps_the_cursor(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "down", "down")
        sid = table(app).cursor_key
        await pilot.press("s")  # name (pinyin)
        keys = table(app).visible_keys
        with open_store(demo_home) as store:
            by_pinyin = sorted(store.stations.all(), key=lambda s: s.pinyin.split(" ")[0])
        assert keys == [s.id for s in by_pinyin]
        assert table(app).cursor_key == sid
        await pilot.press("s", "s")  # month, then score (low first)
        scores = [table(app).row(k).sort_values["score"] for k in table(app).visible_keys]  # type: ignore[union-attr]
        assert scores == sorted(scores)


async def test_latest_score_and_state_come_from_the_store(
    make_app: AppFactory, demo_home: Path
) -> None:
    """Each row's score and state is its counting visit's, recomputed by the scoring engine."""
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        lines = app.screen.lines  # type: ignore[attr-defined]
    c = app.campaign
    with open_store(demo_home) as store:
        assessments = {a.id: a for a in store.assessments.for_campaign(c.id)}
        drafts = {a.station_id for a in assessments.values() if not a.complete}
        counting = counting_visits([a.visit_ref(c) for a in assessments.values()], TODAY)
        assert len(lines) == DEMO_STATIONS
        seen = set()
        for sid, ln in lines.items():
            visit = counting.get(sid)
            if visit is None:
                assert ln.total is None
                assert ln.state == ("draft" if sid in drafts else "none")
                continue
            result = assessments[visit.id].result(c)
            assert ln.total == result.total
            expected = "vetoed" if result.veto else ("passed" if result.passed else "failed")
            assert ln.state == expected
            seen.add(expected)
        assert {"passed", "failed"} <= seen  # the demo has both


async def test_score_key_opens_scoring_for_the_station(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "r")
        await pilot.pause()
        assert app.current_mode == "scoring"


async def test_typing_in_the_filter_lays_nothing_out_and_the_scrollbar_follows(
    make_app: AppFactory, demo_home: Path
) -> None:
    """A filter key repaints the input and the table; it lays the screen out again only when
    the table's scrollbar appears or goes (widgets/fields.py, widgets/table.py)."""
    app = make_app(demo_home)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        layouts: list[int] = []
        real = screen._refresh_layout

        def counting(*args: object, **kwargs: object) -> None:
            layouts.append(1)
            real(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = counting  # type: ignore[method-assign]
        t = table(app)
        assert t.show_vertical_scrollbar  # 24 stations, 14 lines
        await pilot.press("slash")  # the focus moves: restyled and laid out, once
        await pilot.pause()
        layouts.clear()
        await pilot.press(*"c")  # many matches still: the scrollbar stays
        await pilot.pause()
        assert t.row_count > 14 and t.show_vertical_scrollbar
        assert layouts == []
        await pilot.press("backspace", *"yf")  # few matches: the scrollbar goes, a layout
        await pilot.pause()
        assert 0 < t.row_count < 14 and not t.show_vertical_scrollbar
        assert len(layouts) >= 1
        await pilot.press("backspace", "backspace")
        await pilot.pause()
        assert t.row_count == DEMO_STATIONS and t.show_vertical_scrollbar
        assert t.max_scroll_y == DEMO_STATIONS + 1 - t.scrollable_content_region.height


def add_draft_to_a_failed_station(home: Path) -> str:
    """A new draft for a station whose counting visit failed: its state reads 未达标✎."""
    from fieldtui.campaigns import active

    campaign = active(home)
    with open_store(home) as store:
        refs = counting_visits(store.assessments.visit_refs(campaign.id), TODAY).values()
        failed = next(r for r in refs if not r.passed)
        store.assessments.create(failed.station_id, campaign, TODAY, "李四")
        station = store.stations.get(failed.station_id)
        assert station is not None
        return station.name


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_at_80_columns_whole_columns_fit_and_the_role_stays(
    make_app: AppFactory, demo_home: Path, lang: str
) -> None:
    """A narrow terminal drops the least important columns whole (notes, village, veterans,
    contact); the role column is shown in full, even next to a 未达标✎ state."""
    add_draft_to_a_failed_station(demo_home)
    app = make_app(demo_home, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.pause()
        t = table(app)
        labels = [t.columns[i].label for i in t.shown]
        assert ("职务" if lang == "zh" else "Role") in labels
        assert t.line_width <= t.scrollable_content_region.width
        assert t.virtual_size.width <= t.scrollable_content_region.width  # no sideways scroll
        assert [t.columns[i].key for i in t.shown][:1] == ["name"]
        assert "notes" not in [t.columns[i].key for i in t.shown]
        screen = app.export_screenshot()
        assert ("未达标✎" if lang == "zh" else "failed✎") in screen

        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        await pilot.pause()
        assert len(t.shown) == len(t.columns)


async def test_enter_on_the_role_moves_on_and_space_opens_its_list(
    make_app: AppFactory, demo_home: Path
) -> None:
    """The form's hint says Enter goes to the next field: on 负责人职务 too. Space opens the
    list; there Enter picks."""
    from textual.widgets import Select

    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, StationForm)
        await pilot.press(*"新村退役军人服务站", "enter", "enter", *"王五", "enter")
        role = form.query_one("#f-head_role", Select)
        assert app.focused is role
        await pilot.press("enter")
        await pilot.pause()
        assert not role.expanded and app.focused is form.query_one("#f-contact")
        await pilot.press("shift+tab", "space")
        await pilot.pause()
        assert role.expanded
        await pilot.press("down", "down", "enter")  # past (not given) and 书记: 主任
        await pilot.pause()
        assert not role.expanded and role.value == "director"
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is form.query_one("#f-contact")


async def test_without_colour_the_cursor_row_is_reversed_not_like_the_header(
    make_app: AppFactory, demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        t = table(app)
        header, first, second = (t.render_line(y) for y in (0, 1, 2))
        styles = [[s.style for s in strip if s.text.strip()] for strip in (header, first, second)]
        assert not any(s.reverse for s in styles[0])  # type: ignore[union-attr]
        assert all(s.reverse for s in styles[1])  # type: ignore[union-attr]  # the cursor
        assert not any(s.reverse for s in styles[2])  # type: ignore[union-attr]

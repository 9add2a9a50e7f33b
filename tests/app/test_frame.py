"""The app frame: areas and their keys, help, command palette, keymap, first start, backup."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from fieldtui.actions import ACTIONS
from fieldtui.app import FieldApp, frozen_today, key_label
from fieldtui.screens.batches import BatchesScreen
from fieldtui.screens.dashboard import DashboardScreen
from fieldtui.screens.help import HelpScreen
from fieldtui.screens.ledger import LedgerScreen
from fieldtui.screens.scoring import ScoringScreen
from fieldtui.screens.station_form import StationForm
from fieldtui.screens.welcome import WelcomeScreen
from fieldtui.store.backup import list_backups
from fieldtui.store.store import open_store
from fieldtui.widgets.navbar import NavBar
from tests.app.conftest import DEMO_STATIONS, TODAY, AppFactory


async def test_every_area_has_its_key(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.current_mode == "dashboard"
        assert isinstance(app.screen, DashboardScreen)
        for key, mode in [("f3", "ledger"), ("f4", "plan"), ("f5", "scoring"),
                          ("f6", "batches"), ("f7", "settings"), ("f2", "dashboard")]:  # fmt: skip
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
            base = app.screen_stack[0]
            if mode == "scoring":
                assert isinstance(base, ScoringScreen)
            if mode == "batches":
                assert isinstance(base, BatchesScreen)
        # The keys work from inside the ledger's filter field too.
        await pilot.press("f3", "slash", "f4")
        assert app.current_mode == "plan"


async def test_areas_are_built_when_first_opened(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        assert set(app._screen_stacks) == {"dashboard"}
        await pilot.press("f3")
        ledger = app.screen
        await pilot.press("f2", "f3")
        assert app.screen is ledger  # one instance per area, kept


async def test_help_lists_the_screen_and_app_keys(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f3", "f1")
        assert isinstance(app.screen, HelpScreen)
        assert isinstance(app.screen.about, LedgerScreen)
        texts = [w.render() for w in app.screen.query(".help-keys")]
        assert len(texts) == 2  # the ledger's keys, then the app's
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert isinstance(app.screen, LedgerScreen)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("key", "words"), [("f5", ("p", "c", "R")), ("f6", ("s", "u", "F7"))])
async def test_help_describes_scoring_and_batches(
    make_app: AppFactory, demo_home: Path, lang: str, key: str, words: tuple[str, ...]
) -> None:
    """F1 on the scoring and batches areas explains them (their DESCRIPTION, in the language)."""
    app = make_app(demo_home, lang)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        if app.screen is not app.screen_stack[0]:  # the scoring area asks for a station
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-description").render())
    assert "没有说明" not in text and "no description" not in text
    assert len(text) > 200
    assert all(w in text for w in words)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    assert (cjk > 100) if lang == "zh" else (cjk == 0)


async def test_help_tables_follow_the_action_table_and_keymap(
    make_app: AppFactory, demo_home: Path
) -> None:
    (demo_home / "settings.toml").write_text('[keymap]\n"ledger.add" = "ctrl+n"\n', "utf-8")
    app = make_app(demo_home, "en")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f3", "f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(help_screen.table("ledger"))
        console.print(help_screen.table("app"))
    text = console.export_text()
    for a in ACTIONS:
        if a.scope in ("ledger", "app"):
            assert a.en in text
    assert re.search(r"^Ctrl\+N +Add", text, re.MULTILINE)
    assert "F1 ?" in text


async def test_command_palette_runs_actions_by_name(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to: ledger")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.current_mode == "ledger"
        # The current screen's own actions are there too: "Ledger: Add".
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"ledger: add")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, StationForm)


async def palette_titles(pilot: Any, query: str) -> list[str]:
    """The titles the command palette lists for ``query`` (after its no-match delay)."""
    from textual.command import CommandList

    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    await pilot.pause(0.8)
    options = pilot.app.screen.query_one(CommandList).options
    titles = [getattr(o.prompt, "plain", str(o.prompt)).split("\n")[0] for o in options]
    await pilot.press("escape")
    await pilot.pause()
    return titles


@pytest.mark.parametrize("query", ["ledger", "tz", "taizhang", "台账"])
async def test_command_palette_finds_chinese_commands_by_english_and_pinyin(
    make_app: AppFactory, demo_home: Path, query: str
) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        titles = await palette_titles(pilot, query)
    assert "转到: 台账" in titles
    if query != "tz":
        assert titles[0].startswith("转到: 台账") or titles[0].startswith("台账:")


async def test_command_palette_finds_english_commands_by_chinese(
    make_app: AppFactory, demo_home: Path
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Go to: Ledger" in await palette_titles(pilot, "台账")
        assert "Go to: Scoring" in await palette_titles(pilot, "pf")


@pytest.mark.parametrize(("lang", "text"), [("zh", "没有匹配的命令"), ("en", "No matches found")])
async def test_command_palette_says_no_match_in_the_interface_language(
    make_app: AppFactory, demo_home: Path, lang: str, text: str
) -> None:
    app = make_app(demo_home, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = await palette_titles(pilot, "qqqq")
    assert len(titles) == 1 and text in titles[0]


def test_action_pinyin_table_is_current() -> None:
    """fieldtui/action_pinyin.py is generated from the action table: run
    ``python -m fieldtui.action_pinyin`` after changing a Chinese label."""
    from fieldtui.action_pinyin import PINYIN, generate

    assert generate() == PINYIN


async def test_keymap_from_settings_rebinds(make_app: AppFactory, demo_home: Path) -> None:
    (demo_home / "settings.toml").write_text('[keymap]\n"app.plan" = "f10"\n', "utf-8")
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        assert app.current_mode == "dashboard"
        await pilot.press("f10")
        assert app.current_mode == "plan"
        nav = str(app.screen.query_one(NavBar).render())
        assert "F10" in nav and "F4" not in nav


async def test_english_labels(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        shown = {b.binding.description for b in app.screen.active_bindings.values()}
        assert {"Filter", "Add", "Edit", "Archive", "Quit", "Help"} <= shown
        nav = str(app.screen.query_one(NavBar).render())
        assert "Ledger" in nav and "台账" not in nav
    app = make_app(demo_home, "zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        shown = {b.binding.description for b in app.screen.active_bindings.values()}
        assert {"筛选", "新增", "编辑", "归档"} <= shown


async def test_first_start_loads_the_demo(make_app: AppFactory, home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        counts = app.screen.counts(TODAY)
        assert counts.stations == DEMO_STATIONS
    with open_store(home) as store:
        assert store.stations.count() == DEMO_STATIONS
        # Visits only up to the app's today.
        assert all(v.date <= TODAY for v in store.assessments.visit_refs(app.campaign.id))


async def test_first_start_add_by_hand_opens_the_form(make_app: AppFactory, home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause(0.2)
        assert app.current_mode == "ledger"
        assert isinstance(app.screen, StationForm)
        await pilot.press(*"三合村退役军人服务站", "ctrl+s")
        await pilot.pause()
    with open_store(home) as store:
        assert [s.name for s in store.stations.all()] == ["三合村退役军人服务站"]


async def test_first_start_can_be_skipped(make_app: AppFactory, home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.counts(TODAY).stations == 0


async def test_no_first_start_dialog_with_stations(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_backup_on_quit(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
    backups = list_backups(demo_home / "fieldtui.sqlite3")
    assert len(backups) == 1 and backups[0].name.endswith("-quit.sqlite3")
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT count(*) FROM stations").fetchone()[0] == DEMO_STATIONS
    assert app.backup_error is None


async def test_open_scoring_switches_area(make_app: AppFactory, demo_home: Path) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)):
        await app.open_scoring(1)
        assert app.current_mode == "scoring"


async def test_warns_when_the_database_is_on_a_usb_stick(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fieldtui.store.location as location

    monkeypatch.setattr(location, "storage_warning", lambda path: "removable:vfat:/media/usb")
    app = FieldApp(demo_home, "en", today=TODAY, blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        messages = [n.message for n in app._notifications]
    assert any("removable storage (/media/usb)" in m for m in messages)


def test_frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDTUI_TODAY", "2023-09-30")
    assert frozen_today() == dt.date(2023, 9, 30)
    monkeypatch.delenv("FIELDTUI_TODAY")
    assert frozen_today() is None


@pytest.mark.parametrize(
    ("key", "shown"),
    [("f2", "F2"), ("ctrl+s", "Ctrl+S"), ("question_mark", "?"), ("delete", "Del"),
     ("escape", "Esc"), ("slash", "/"), ("a", "a"), ("R", "R")],
)  # fmt: skip
def test_key_labels(key: str, shown: str) -> None:
    assert key_label(key) == shown


async def test_area_keys_work_with_a_dialog_open(make_app: AppFactory, demo_home: Path) -> None:
    """A dialog stays open in its own area while the officer looks elsewhere."""
    app = make_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "a")
        await pilot.pause()
        assert isinstance(app.screen, StationForm)
        await pilot.press("f4")
        assert app.current_mode == "plan"
        await pilot.press("f3")
        assert isinstance(app.screen, StationForm)
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen)


async def test_f1_on_the_first_start_dialog_opens_help(tmp_path: Path) -> None:
    """The welcome dialog is modal, so the app's own keys do not reach it; its hint promises
    F1 all the same."""
    app = FieldApp(tmp_path, "zh", today=dt.date(2023, 6, 10), blink=False, check_storage=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
